/** A closed-loop load driver shared by the file benchmark's contenders. */

export interface LoadResult {
  readonly ops: number;
  readonly seconds: number;
  /** Per-operation latencies in milliseconds, sorted ascending. */
  readonly latencies: Float64Array;
}

/**
 * Keeps `concurrency` operations in flight for `durationMs`: each worker starts its next operation
 * as soon as the previous one resolves, as a caller awaiting durable puts would.
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  op: (worker: number, i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await op(worker, i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ops: latencies.length, seconds, latencies: Float64Array.from(latencies).sort() };
}

export function rate(result: LoadResult): number {
  return result.ops / result.seconds;
}

/** The nearest-rank percentile: the smallest value with at least p% of the sample at or below it. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A ConfigMap-shaped object of about `bytes` canonical JSON bytes. */
export function sizedObject(name: string, bytes = 2048) {
  const object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'bench' },
    data: { payload: '' },
  };
  object.data.payload = 'x'.repeat(Math.max(0, bytes - JSON.stringify(object).length));
  return object;
}
