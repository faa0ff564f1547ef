import { median } from './median.js';

/** Latency percentiles (ms) and throughput of one closed-loop run. */
export interface RunStats {
  readonly opsPerSec: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * Closed loop: `inflight` callers each issue `op(i)` as soon as their previous one finished, until
 * `total` operations ran. Every operation's latency is recorded.
 */
export async function drive(
  total: number,
  inflight: number,
  op: (i: number) => Promise<unknown>,
): Promise<RunStats> {
  const latencies = new Float64Array(total);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inflight, total) }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  return {
    opsPerSec: total / seconds,
    p50: latencies[Math.floor(total * 0.5)]!,
    p99: latencies[Math.min(total - 1, Math.floor(total * 0.99))]!,
  };
}

/** Medians of each field over several runs. */
export function medianStats(runs: readonly RunStats[]): RunStats {
  return {
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  };
}
