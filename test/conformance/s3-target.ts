import { LocalProvider, MachineId, S3Backend } from '../../src/index.js';
import { type Radosgw, twoPrefixInstances } from '../helpers/radosgw.js';
import type { ConformanceTarget } from './target.js';

/**
 * The S3 backend called directly, against the shared radosgw: each storage is a fresh bucket, and
 * the provider's two instances are two prefixes in it, so cross-instance isolation is also prefix
 * isolation within one bucket.
 */
export function s3Target(radosgw: () => Radosgw): ConformanceTarget {
  return {
    name: 's3 (direct, radosgw)',
    persistent: true,
    async createStorage() {
      const { configs, names } = await twoPrefixInstances(radosgw());
      return {
        async openProvider(options) {
          const provider = new LocalProvider(
            configs.map((config, i) => ({ name: names[i]!, backend: new S3Backend(config) })),
            options,
          );
          await provider.initialize(MachineId.generate());
          return { provider, instance: names[0], otherInstance: names[1] };
        },
        openRawBackend: () => new S3Backend(configs[0]),
        async dispose() {},
      };
    },
  };
}
