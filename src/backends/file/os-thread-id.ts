import { readlinkSync } from 'node:fs';

/**
 * The calling thread's Linux task id, or 0 where /proc/thread-self names none (off Linux). A
 * worker's JavaScript runs on its own OS thread: the lock records it as its owner (lock.ts), and a
 * restart waits for it to end, since it outlives the Worker's termination while it is inside a
 * system call (src/runtime/os-thread.ts).
 */
export function currentOsThreadId(): number {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : 0;
  } catch {
    return 0;
  }
}
