import { setTimeout as sleep } from 'node:timers/promises';

/** The memory benchmarks' child processes run with --expose-gc, which defines it. */
const gc = (globalThis as { gc?: () => void }).gc;

/** Collects garbage now; throws at once in a process started without --expose-gc. */
export function collect(): void {
  if (!gc) throw new Error('run with --expose-gc');
  gc();
}

/** collect(), then again once V8, which frees large backing stores lazily, has had time to. */
export async function collectFully(): Promise<void> {
  collect();
  await sleep(500);
  collect();
}
