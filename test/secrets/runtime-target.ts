import type { BackendConfig } from '../../src/backends/factory.js';
import { MachineId } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import type { SecretTarget } from './target.js';

export interface RuntimeSecretStorage {
  /** Two instance configurations over this storage: `instance` first, `otherInstance` second. */
  readonly configs: readonly [BackendConfig, BackendConfig];
  rawBytes?(): Promise<Buffer[]>;
  dispose(): Promise<void>;
}

/**
 * The secret provider over RuntimeProvider: records cross to the instance's actor on a worker
 * thread through the internal record ops, so whatever the backend stores is what the worker saw.
 */
export function runtimeTarget(
  name: string,
  flags: { persistent: boolean; rawStorage: boolean },
  createStorage: () => Promise<RuntimeSecretStorage>,
): SecretTarget {
  return {
    name,
    ...flags,
    async createStorage() {
      const storage = await createStorage();
      return {
        async open() {
          const provider = new RuntimeProvider(storage.configs);
          try {
            await provider.initialize(MachineId.generate());
          } catch (error) {
            await provider.close();
            throw error;
          }
          const [instance, otherInstance] = provider.instances() as [string, string];
          return {
            channel: provider,
            objects: provider,
            instance,
            otherInstance,
            close: () => provider.close(),
          };
        },
        ...(storage.rawBytes ? { rawBytes: () => storage.rawBytes!() } : {}),
        dispose: () => storage.dispose(),
      };
    },
  };
}
