import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often a wait for a thread to end looks again. */
const POLL_MS = 10;

/** Whether the task `tid` of this process still runs; false for 0. */
export function osThreadRunning(tid: number): boolean {
  return tid !== 0 && existsSync(`/proc/self/task/${tid}`);
}

/**
 * Resolves once none of the tasks `tids` of this process runs, once `timeoutMs` have passed, or
 * once `stop()` is true (a close, which a caller of the start waiting here must hear of at once).
 * Task ids are handed out in sequence, so one is not reused within such a wait.
 */
export async function untilOsThreadsEnd(
  tids: readonly number[],
  timeoutMs: number,
  stop: () => boolean,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (tids.some(osThreadRunning) && performance.now() < deadline && !stop()) await sleep(POLL_MS);
}
