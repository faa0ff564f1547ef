import { availableParallelism } from 'node:os';
import type { BatcherConfig } from './batcher.js';

/**
 * How operations travel to an actor's worker, by backend kind, unless the runtime options set
 * `maxBatchOps`/`maxBatchesInFlight`/`idleSpinMicros` for every instance: how they are grouped into
 * messages, and how long an idle worker polls for the next message before it sleeps.
 *
 * - Local backends (memory, file): one durable write commits a whole batch, and a piscina task costs
 *   tens of microseconds, so operations travel in large batches with few messages out.
 * - Remote backends (s3): every operation is its own request of tens of milliseconds, and a batch's
 *   reply waits for its slowest operation, so large batches would hold fast replies back and cap
 *   the requests in flight. Operations travel in small batches with many messages out.
 *
 * Measured on radosgw with 32 gets in flight (runtime ÷ direct): 64 × 4 gave 0.72; 1 × 64 gave
 * 0.96; 4 × 32 gave 0.98.
 *
 * The idle spin (host/idle-spin.ts) saves a local backend's worker its wake-up, 35–55 µs here,
 * against operations of 0.1–0.3 ms. A spinning worker needs a core of its own, so local workers
 * spin only when the machine has a core for each of them and one for the caller's thread: with two
 * file instances on 2 cores, one put in flight on each, spinning cost 9–25% of the throughput. An
 * S3 operation takes tens of milliseconds, and its worker's event loop carries the sockets, so S3
 * workers do not spin.
 */
const LOCAL: BatcherConfig = { maxBatchOps: 64, maxBatchesInFlight: 4 };
const REMOTE: BatcherConfig = { maxBatchOps: 4, maxBatchesInFlight: 64 };
const LOCAL_IDLE_SPIN_MICROS = 200;

export function batchingFor(
  backendKind: string,
  overrides: { readonly maxBatchOps: number | undefined; readonly maxBatchesInFlight: number | undefined },
): BatcherConfig {
  const defaults = isRemote(backendKind) ? REMOTE : LOCAL;
  return {
    maxBatchOps: overrides.maxBatchOps ?? defaults.maxBatchOps,
    maxBatchesInFlight: overrides.maxBatchesInFlight ?? defaults.maxBatchesInFlight,
  };
}

/**
 * Microseconds an idle worker polls for its next message; 0 turns the spin off. `localWorkers`
 * counts the provider's memory, file and module instances, each of which has a worker that may be
 * busy at the same time as the others.
 */
export function idleSpinFor(
  backendKind: string,
  override: number | undefined,
  localWorkers: number,
  cores = availableParallelism(),
): number {
  if (override !== undefined) return override;
  if (isRemote(backendKind)) return 0;
  return cores >= localWorkers + 1 ? LOCAL_IDLE_SPIN_MICROS : 0;
}

/** S3: operations are network requests, which batch and spin differently (see above). */
export function isRemote(backendKind: string): boolean {
  return backendKind === 's3';
}
