import {
  type Backend,
  createMemoryVolume,
  instanceName,
  LocalProvider,
  MachineId,
  MemoryBackend,
  type PersistenceProvider,
} from '../../src/index.js';
import type { RecordChannel } from '../../src/secrets/record-channel.js';

/** A channel opened over a storage location, with two instances so cross-instance moves are testable. */
export interface OpenedChannel {
  readonly channel: RecordChannel;
  readonly instance: string;
  readonly otherInstance: string;
  /** Plain object calls on the same provider, to show they cannot reach the secret key space. */
  readonly objects: PersistenceProvider;
  close(): Promise<void>;
}

/** One empty storage location (memory volumes, a directory, a bucket prefix) that outlives channels. */
export interface SecretStorage {
  open(): Promise<OpenedChannel>;
  /**
   * Every byte both instances have stored, as the backends keep them: files, objects, volume
   * records. Absent where the main thread cannot see the storage (memory inside a worker).
   */
  rawBytes?(): Promise<Buffer[]>;
  /** File storage only: the directory of the first instance. */
  readonly dir?: string;
  dispose(): Promise<void>;
}

/** What the secret cases run against: memory, file or s3, directly or through the runtime. */
export interface SecretTarget {
  readonly name: string;
  /** Whether secrets survive close and reopen over the same storage. */
  readonly persistent: boolean;
  /** Whether its storages provide rawBytes(). */
  readonly rawStorage: boolean;
  createStorage(): Promise<SecretStorage>;
}

/** LocalProvider over two backends built fresh for each open. */
export async function openLocal(
  names: readonly [string, string],
  backends: () => Backend[],
): Promise<OpenedChannel> {
  const provider = new LocalProvider(backends().map((backend, i) => ({ name: names[i]!, backend })));
  await provider.initialize(MachineId.generate());
  return {
    channel: provider,
    objects: provider,
    instance: names[0],
    otherInstance: names[1],
    close: () => provider.close(),
  };
}

export const memoryTarget: SecretTarget = {
  name: 'memory (LocalProvider)',
  persistent: true,
  rawStorage: true,
  async createStorage() {
    const volumes = [createMemoryVolume(), createMemoryVolume()];
    const names = [instanceName('memory', 'secrets-a'), instanceName('memory', 'secrets-b')] as const;
    return {
      open: () => openLocal(names, () => volumes.map((volume) => new MemoryBackend(volume))),
      async rawBytes() {
        return volumes.flatMap((volume) =>
          [...volume.values()].flatMap((records) => [...records.values()].map((bytes) => Buffer.from(bytes))),
        );
      },
      async dispose() {},
    };
  },
};
