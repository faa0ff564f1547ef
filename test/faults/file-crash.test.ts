import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import type { LogIo } from '../../src/backends/file/log-writer.js';
import { FileBackend, MachineId } from '../../src/index.js';
import { CRASH_BACKEND_OPTIONS, CRASH_KEYS, CRASH_KIND, expectedValue } from './file-crash-model.js';

const KILLS = 50;
const WRITER = new URL('./file-crash-writer.ts', import.meta.url).pathname;

/** A small seeded generator, so a failing sequence of kill points can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Runs the writer until it has reported `acks` acknowledged writes, then SIGKILLs it. Returns
 * every acknowledgement it recorded before it died.
 */
async function runAndKill(
  dir: string,
  versions: Record<string, number>,
  acks: number,
  io: LogIo,
): Promise<[string, number][]> {
  const ackFile = `${dir}.acks`;
  await rm(ackFile, { force: true });
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, ackFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, STOWAGE_CRASH_VERSIONS: JSON.stringify(versions), STOWAGE_CRASH_IO: io },
  });
  const exited = once(child, 'exit');
  let progress = 0;
  let killed = false;
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line !== 'ready') progress++;
    if (!killed && progress >= acks) killed = child.kill('SIGKILL');
  }
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGKILL', `the writer died of the kill, not of its own failure (exit code ${code})`);
  const text = await readFile(ackFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [key, version] = line.split(' ');
      return [key!, Number(version)];
    });
}

interface SequenceResult {
  readonly tornTails: number;
  readonly interruptedCompactions: number;
}

/** Kills a writer `kills` times on one directory, checking the instance after every kill. */
async function crashSequence(kills: number, next: () => number, io: LogIo): Promise<SequenceResult> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-crash-'));
  /** Per key, the last version whose write is known to be applied. */
  const versions: Record<string, number> = {};
  let tornTails = 0;
  let interruptedCompactions = 0;
  try {
    for (let kill = 0; kill < kills; kill++) {
      const acks = Math.floor(next() ** 2 * 1000);
      for (const [key, version] of await runAndKill(dir, versions, acks, io)) versions[key] = version;

      const backend = new FileBackend(dir, CRASH_BACKEND_OPTIONS);
      await backend.open(MachineId.generate());
      try {
        const report = backend.recovery();
        if (report.droppedBytes > 0) tornTails++;
        if (report.logs.length > 1 || report.removedFiles.length > 0) interruptedCompactions++;
        let present = 0;
        for (const key of CRASH_KEYS) {
          const acked = versions[key] ?? -1;
          const stored = await backend.get(CRASH_KIND, key);
          if (stored) present++;
          const actual = stored === undefined ? undefined : Buffer.from(stored);
          // Either the last acknowledged write, or the one in flight when the writer died, whole.
          const candidates = [acked, acked + 1].filter((v) => {
            const expected = expectedValue(key, v);
            return expected === undefined ? actual === undefined : actual?.equals(expected) === true;
          });
          assert.equal(
            candidates.length,
            1,
            `kill ${kill}: ${key} (acknowledged version ${acked}) holds an unexpected value: ${actual === undefined ? 'absent' : `version ${JSON.parse(actual.toString()).version}`}`,
          );
          versions[key] = candidates[0]!;
        }
        let listed = 0;
        for await (const _ of backend.list(CRASH_KIND)) listed++;
        assert.equal(listed, present, 'list agrees with get');
      } finally {
        await backend.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.acks`, { force: true });
  }
  return { tornTails, interruptedCompactions };
}

test(`every acknowledged write survives ${KILLS} SIGKILLs of a writer (half with each log I/O mode), and nothing is half-present`, async (t) => {
  const seed = Number(process.env.STOWAGE_CRASH_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (set STOWAGE_CRASH_SEED to replay)`);
  // Two directories side by side use both cores; each sees half the kills, one writer with each
  // I/O mode of the log (the runtime's workers use blocking I/O).
  const results = await Promise.all([
    crashSequence(KILLS / 2, random(seed), 'thread-pool'),
    crashSequence(KILLS / 2, random(seed + 1), 'blocking'),
  ]);
  const sum = (f: (r: SequenceResult) => number) => results.reduce((n, r) => n + f(r), 0);
  t.diagnostic(
    `${sum((r) => r.tornTails)} torn tails repaired; ${sum((r) => r.interruptedCompactions)} reopens found an interrupted compaction`,
  );
});
