import {
  type Backend,
  createMemoryVolume,
  instanceName,
  LocalProvider,
  MachineId,
  MemoryBackend,
  type MemoryVolume,
} from '../../src/index.js';
import type { ConformanceTarget } from './target.js';

/** The memory backend called directly, with backends built by `wrap` (the broken-backend tests swap it). */
export function memoryTarget(
  name = 'memory (direct)',
  wrap: (volume: MemoryVolume) => Backend = (volume) => new MemoryBackend(volume),
): ConformanceTarget {
  return {
    name,
    persistent: true,
    async createStorage() {
      const volumes = [createMemoryVolume(), createMemoryVolume()];
      const names = [instanceName('memory', 'a'), instanceName('memory', 'b')] as const;
      return {
        async openProvider(options) {
          const provider = new LocalProvider(
            names.map((n, i) => ({ name: n, backend: wrap(volumes[i]!) })),
            options,
          );
          await provider.initialize(MachineId.generate());
          return { provider, instance: names[0], otherInstance: names[1] };
        },
        openRawBackend: () => new MemoryBackend(volumes[0]),
        async dispose() {},
      };
    },
  };
}
