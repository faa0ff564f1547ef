import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/**
 * How load is offered. `issue(intendedMs)` runs one operation that was due at `intendedMs`
 * (performance.now() time) and must never reject: recorder.timed() records every outcome.
 */
export type Issue = (intendedMs: number) => Promise<void>;

/** The longest the closed loop runs without letting the event loop turn (timers, /metrics). */
const CLOSED_LOOP_TURN_MS = 5;

/**
 * `concurrency` callers, each issuing its next operation as soon as the previous one completes,
 * until `durationS` has passed. The offered load adapts to the system, so the result is the
 * system's throughput at that concurrency; its latencies are service times (nothing was "due").
 * Operations that settle without the event loop turning (an instance that is down fails each one
 * at once) would keep the callers in one endless chain of microtasks, freezing the progress line
 * and the metrics endpoint, so each caller yields a turn every CLOSED_LOOP_TURN_MS (each one: the
 * loop turns only once every caller is parked).
 */
export async function closedLoop(concurrency: number, durationS: number, issue: Issue): Promise<void> {
  const end = performance.now() + durationS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      let yieldedAt = performance.now();
      while (performance.now() < end) {
        await issue(performance.now());
        if (performance.now() - yieldedAt >= CLOSED_LOOP_TURN_MS) {
          yieldedAt = performance.now();
          await nextTurn();
        }
      }
    }),
  );
}

/**
 * A fixed arrival rate: operation i is due at start + i/rate and is issued then, whether or not
 * earlier ones have finished. When the system falls behind, operations are issued late but are
 * still timed from their due time, so the stall shows in the percentiles instead of being hidden
 * by the generator slowing down (coordinated omission). At most `maxOutstanding` are in flight;
 * beyond that the generator waits for one to finish, which bounds memory under any stall.
 */
export async function openLoop(
  rate: number,
  durationS: number,
  maxOutstanding: number,
  issue: Issue,
): Promise<void> {
  const total = Math.max(1, Math.round(rate * durationS));
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const pending = new Set<Promise<void>>();
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    while (issued < due && pending.size < maxOutstanding) {
      const operation = issue(start + issued * intervalMs).finally(() => pending.delete(operation));
      pending.add(operation);
      issued++;
    }
    if (pending.size >= maxOutstanding) await Promise.race(pending);
    else if (issued < total)
      await sleep(Math.max(0, Math.min(1, start + issued * intervalMs - performance.now())));
  }
  await Promise.all(pending);
}

/**
 * Submits `count` operations in the same tick, so none can drain before the last is admitted;
 * `submitted` runs right after, while the mailbox holds them all.
 */
export async function burst(count: number, issue: Issue, submitted: () => void): Promise<void> {
  const now = performance.now();
  const operations: Promise<void>[] = [];
  for (let i = 0; i < count; i++) operations.push(issue(now));
  submitted();
  await Promise.all(operations);
}
