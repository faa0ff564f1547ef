import { readdirSync, readFileSync } from 'node:fs';

/** Which part of the process a thread belongs to, by its name (Linux's `comm`) and id. */
export type ThreadRole = 'caller' | 'worker' | 'v8' | 'libuv' | 'other';

export const THREAD_ROLES: readonly ThreadRole[] = ['caller', 'worker', 'v8', 'libuv', 'other'];

/** CPU nanoseconds each thread alive at the time has used, keyed by thread id. */
export type ThreadCpuSnapshot = ReadonlyMap<number, { readonly role: ThreadRole; readonly ns: number }>;

/**
 * Reads every thread's CPU time from /proc/self/task/<tid>/schedstat (nanoseconds on the CPU).
 * Undefined where /proc has no schedstat (not Linux, or a kernel without schedstats): the
 * benchmark then leaves the CPU table out rather than guess.
 */
export function threadCpuSnapshot(): ThreadCpuSnapshot | undefined {
  const threads = new Map<number, { role: ThreadRole; ns: number }>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    try {
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      threads.set(Number(tid), { role: roleOf(Number(tid), name), ns });
    } catch {
      // The thread exited between the listing and the read: its time is lost to both snapshots.
      if (Number(tid) === process.pid) return undefined;
    }
  }
  return threads;
}

/**
 * CPU microseconds per operation by role between two snapshots. A thread that exited before `after`
 * is not counted, so take `after` before closing what ran the operations.
 */
export function cpuPerOperation(
  before: ThreadCpuSnapshot,
  after: ThreadCpuSnapshot,
  operations: number,
): Record<ThreadRole, number> {
  const micros: Record<ThreadRole, number> = { caller: 0, worker: 0, v8: 0, libuv: 0, other: 0 };
  for (const [tid, thread] of after) {
    micros[thread.role] += (thread.ns - (before.get(tid)?.ns ?? 0)) / 1000;
  }
  for (const role of THREAD_ROLES) micros[role] /= operations;
  return micros;
}

/**
 * Node names its threads: `node-MainThread` (or the process's name) for the caller's, `WorkerThread`
 * for worker_threads (the actors', and tsx's module loader when run from source), `node-V8Worker` for V8's platform threads (garbage collection,
 * compilation), `libuv-worker` for the thread pool that runs fs calls. `comm` holds 15 characters.
 */
function roleOf(tid: number, name: string): ThreadRole {
  if (tid === process.pid) return 'caller';
  if (name === 'WorkerThread') return 'worker';
  if (name.startsWith('node-V8Worker') || name.startsWith('V8 ')) return 'v8';
  if (name.startsWith('libuv-worker')) return 'libuv';
  return 'other';
}
