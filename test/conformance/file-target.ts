import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileBackend,
  type FileBackendOptions,
  instanceName,
  LocalProvider,
  MachineId,
} from '../../src/index.js';
import type { ConformanceTarget } from './target.js';

/** The file backend through LocalProvider: two instances in two temporary directories. */
export function fileTarget(name = 'file (direct)', options: FileBackendOptions = {}): ConformanceTarget {
  return {
    name,
    persistent: true,
    async createStorage() {
      const root = await mkdtemp(join(tmpdir(), 'stowage-file-'));
      const dirs = [join(root, 'local'), join(root, 'nfs')];
      const names = dirs.map((dir) => instanceName('file', dir));
      return {
        async openProvider(providerOptions) {
          const provider = new LocalProvider(
            dirs.map((dir, i) => ({ name: names[i]!, backend: new FileBackend(dir, options) })),
            providerOptions,
          );
          await provider.initialize(MachineId.generate());
          return { provider, instance: names[0]!, otherInstance: names[1]! };
        },
        openRawBackend: () => new FileBackend(dirs[0]!, options),
        async dispose() {
          await rm(root, { recursive: true, force: true });
        },
      };
    },
  };
}
