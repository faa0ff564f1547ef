import { existsSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The calling thread's Linux task id, or 0 where /proc/thread-self names none (off Linux). A
 * worker's JavaScript runs on its own OS thread, which outlives the Worker's termination while it
 * is inside a system call (docs/architecture.md, "Supervisor", Deaths).
 */
export function currentOsThreadId(): number {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : 0;
  } catch {
    return 0;
  }
}

/** How often a wait for a thread to end looks again. */
const POLL_MS = 10;

/**
 * Resolves once the task `tid` of this process is gone, or once `timeoutMs` have passed; at once
 * for 0. Task ids are handed out in sequence, so one is not reused within such a wait.
 */
export async function osThreadGone(tid: number, timeoutMs: number): Promise<void> {
  if (tid === 0) return;
  const deadline = performance.now() + timeoutMs;
  while (existsSync(`/proc/self/task/${tid}`) && performance.now() < deadline) await sleep(POLL_MS);
}
