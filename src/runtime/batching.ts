import type { BatcherConfig } from './batcher.js';

/**
 * How operations are grouped into worker messages, by backend kind, unless the runtime options
 * set `maxBatchOps`/`maxBatchesInFlight` for every instance.
 *
 * - Local backends (memory, file): one fdatasync commits a whole batch, and a piscina task costs
 *   tens of microseconds, so operations travel in large batches with few messages out.
 * - Remote backends (s3): every operation is its own request of tens of milliseconds, and a batch's
 *   reply waits for its slowest operation, so large batches would hold fast replies back and cap
 *   the requests in flight. Operations travel in small batches with many messages out.
 *
 * Measured on radosgw with 32 gets in flight (runtime ÷ direct): 64 × 4 gave 0.72; 1 × 64 gave
 * 0.96; 4 × 32 gave 0.98.
 */
const LOCAL: BatcherConfig = { maxBatchOps: 64, maxBatchesInFlight: 4 };
const REMOTE: BatcherConfig = { maxBatchOps: 4, maxBatchesInFlight: 64 };

export function batchingFor(
  backendKind: string,
  overrides: { readonly maxBatchOps: number | undefined; readonly maxBatchesInFlight: number | undefined },
): BatcherConfig {
  const defaults = backendKind === 's3' ? REMOTE : LOCAL;
  return {
    maxBatchOps: overrides.maxBatchOps ?? defaults.maxBatchOps,
    maxBatchesInFlight: overrides.maxBatchesInFlight ?? defaults.maxBatchesInFlight,
  };
}
