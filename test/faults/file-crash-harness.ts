import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { LogSync } from '../../src/backends/file/layout.js';
import type { LogIo } from '../../src/backends/file/log-writer.js';
import { FileBackend, MachineId, type RecoveryReport } from '../../src/index.js';
import { CRASH_BACKEND_OPTIONS, CRASH_KEYS, CRASH_KIND, expectedValue } from './file-crash-model.js';

/**
 * The crash writer's run and the check after it, shared by the SIGKILL test (file-crash.test.ts)
 * and the power-loss harness (scripts/power-loss), which checks a copy of the disk instead.
 */

const WRITER = new URL('./file-crash-writer.ts', import.meta.url).pathname;

/** Per key, the last version known to be applied. */
export type Versions = Record<string, number>;

export interface WriterOptions {
  readonly io: LogIo;
  readonly logSync?: LogSync;
  /** Replaces the model's compactMinBytes (CRASH_BACKEND_OPTIONS). */
  readonly compactMinBytes?: number;
  /** Runs once the writer has acknowledged `at` writes, while it goes on writing. */
  readonly midway?: Midway;
}

export interface Midway {
  readonly at: number;
  run(): Promise<void>;
}

/**
 * Runs the crash writer on `dir` until it has reported `acks` acknowledged writes, then SIGKILLs
 * it. Returns every acknowledgement it recorded before it died, from `ackFile`, which must be on
 * storage the kill does not touch.
 */
export async function runAndKill(
  dir: string,
  ackFile: string,
  versions: Versions,
  acks: number,
  options: WriterOptions,
): Promise<[string, number][]> {
  const env = {
    STOWAGE_CRASH_VERSIONS: JSON.stringify(versions),
    STOWAGE_CRASH_IO: options.io,
    STOWAGE_CRASH_LOG_SYNC: options.logSync ?? '',
    STOWAGE_CRASH_COMPACT_MIN_BYTES: String(options.compactMinBytes ?? ''),
  };
  return (await killAfterAcks(WRITER, [dir, ackFile], env, ackFile, acks, options.midway)).map((line) => {
    const [key, version] = line.split(' ');
    return [key!, Number(version)];
  });
}

/** How long a writer may take to reach the acknowledgements asked for; it is killed at that point. */
const WRITER_DEADLINE_MS = 60_000;

/**
 * Runs `script` (a writer that prints a line per acknowledged write, after it has appended the
 * acknowledgement to `ackFile` with a synchronous write) until it has printed `acks` lines, then
 * SIGKILLs it. Returns the lines of `ackFile`. A writer that dies on its own, or has not got that
 * far within a minute, is an AssertionError. `midway` runs when the writer has printed `midway.at`
 * lines; the kill waits for it.
 */
/** Writers started by killAfterAcks and not yet exited. */
const runningWriters = new Set<ChildProcess>();

/**
 * SIGKILLs every writer still running: for a harness interrupted itself (the power-loss script on
 * SIGTERM), whose writer otherwise ran on into the unmounted disk and died later, noisily.
 */
export function killRunningWriters(): void {
  for (const child of runningWriters) child.kill('SIGKILL');
}

export async function killAfterAcks(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  ackFile: string,
  acks: number,
  midway?: Midway,
): Promise<string[]> {
  await rm(ackFile, { force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  runningWriters.add(child);
  const exited = once(child, 'exit').finally(() => runningWriters.delete(child));
  let progress = 0;
  let killed = false;
  const deadline = setTimeout(() => child.kill('SIGKILL'), WRITER_DEADLINE_MS);
  try {
    for await (const line of createInterface({ input: child.stdout! })) {
      if (line !== 'ready') progress++;
      if (midway && progress === midway.at) await midway.run();
      if (!killed && progress >= acks) killed = child.kill('SIGKILL');
    }
  } finally {
    clearTimeout(deadline);
  }
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGKILL', `the writer died of the kill, not of its own failure (exit code ${code})`);
  assert.ok(
    killed,
    `the writer acknowledged ${progress} of ${acks} writes in ${WRITER_DEADLINE_MS / 1000} s`,
  );
  const text = await readFile(ackFile, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '');
}

/**
 * Opens `dir` as the next writer would and checks every key against `versions`: each holds its
 * last acknowledged version, or the one in flight when the writer died, whole; `list` agrees with
 * `get`. Throws an AssertionError naming the first key that does not. Updates `versions` to what
 * each key holds, and returns the open's recovery report.
 */
export async function checkRecovered(dir: string, versions: Versions, what: string): Promise<RecoveryReport> {
  const backend = new FileBackend(dir, CRASH_BACKEND_OPTIONS);
  await backend.open(MachineId.generate());
  try {
    let present = 0;
    for (const key of CRASH_KEYS) {
      const acked = versions[key] ?? -1;
      const stored = await backend.get(CRASH_KIND, key);
      if (stored) present++;
      const actual = stored === undefined ? undefined : Buffer.from(stored);
      const candidates = [acked, acked + 1].filter((v) => {
        const expected = expectedValue(key, v);
        return expected === undefined ? actual === undefined : actual?.equals(expected) === true;
      });
      assert.equal(
        candidates.length,
        1,
        `${what}: ${key} (acknowledged version ${acked}) holds an unexpected value: ${actual === undefined ? 'absent' : `version ${JSON.parse(actual.toString()).version}`}`,
      );
      versions[key] = candidates[0]!;
    }
    let listed = 0;
    for await (const _ of backend.list(CRASH_KIND)) listed++;
    assert.equal(listed, present, `${what}: list agrees with get`);
    return backend.recovery();
  } finally {
    await backend.close();
  }
}
