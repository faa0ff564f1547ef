import type { ResourceLimits } from 'node:worker_threads';
import type { StowageConfig } from './schema.js';

/**
 * The smallest old-generation heap a worker is given. Below about 3 MiB V8 aborts the whole
 * process while starting the worker ("GC during deserialization"), and a worker with 16 MiB dies
 * of it opening an S3 instance (the AWS SDK's modules); measured on Node 26, 2026-11-29.
 */
export const MIN_WORKER_HEAP_MB = 32;

/** The longest idle spin a worker takes, 1 s: each idle spell spins a core for this long. */
export const MAX_IDLE_SPIN_MICROS = 1_000_000;

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
