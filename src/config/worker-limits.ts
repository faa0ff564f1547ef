import type { ResourceLimits } from 'node:worker_threads';
import type { StowageConfig } from './schema.js';

/** The `pool` settings that bound each instance's worker, as worker_threads resource limits. */
export function workerResourceLimits(pool: StowageConfig['pool']): ResourceLimits | undefined {
  const limits: ResourceLimits = {
    ...(pool.workerHeapMb === undefined ? {} : { maxOldGenerationSizeMb: pool.workerHeapMb }),
    ...(pool.workerYoungGenerationMb === undefined
      ? {}
      : { maxYoungGenerationSizeMb: pool.workerYoungGenerationMb }),
  };
  return Object.keys(limits).length === 0 ? undefined : limits;
}
