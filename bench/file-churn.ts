import { execFileSync } from 'node:child_process';

const CHILD = new URL('./file-churn-child.ts', import.meta.url).pathname;

export interface ChurnSample {
  /** Bytes of the live values (canonical JSON). */
  readonly valueBytes: number;
  /** Memory gained over the start once garbage is collected: resident, ArrayBuffers, JS heap. */
  readonly rss: number;
  readonly arrayBuffers: number;
  readonly heapUsed: number;
}

/**
 * Resident memory of a file instance after `overwrites` random overwrites of `objects` 2 KiB objects,
 * in a fresh process (bench/file-churn-child.ts), through LocalProvider or the runtime: the steady
 * state a long-running control plane reaches, where a value kept as a view into a shared buffer
 * would pin the rest of it.
 */
export function measureChurn(
  dir: string,
  objects: number,
  overwrites: number,
  path: 'direct' | 'runtime',
): ChurnSample {
  return JSON.parse(
    execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', CHILD, dir, String(objects), String(overwrites), path],
      { encoding: 'utf8' },
    ),
  ) as ChurnSample;
}
