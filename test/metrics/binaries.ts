import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian's `prometheus` package ships both; .ci/apt-packages installs it. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not in this directory (or not executable): try the next one.
    }
  }
  return undefined;
}

/**
 * The `skip` option for a test that needs `name`: a reason locally when it is missing, and `false`
 * in CI, where the test then runs and fails on requireBinary() instead of being skipped.
 */
export function skipWithout(name: string): string | false {
  if (findBinary(name) || process.env.CI === 'true') return false;
  return `${name} is not installed (apt-get install prometheus)`;
}

export function requireBinary(name: string): string {
  const path = findBinary(name);
  if (!path) throw new Error(`${name} is required (CI installs it from .ci/apt-packages: prometheus)`);
  return path;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a binary to completion with `input` on stdin; a non-zero exit is returned, not thrown. */
export function run(binary: string, args: readonly string[], input = '', cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      args,
      { cwd, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
}
