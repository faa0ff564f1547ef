import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LogIo } from '../../src/backends/file/log-writer.js';
import { checkRecovered, runAndKill, type Versions } from './file-crash-harness.js';

const KILLS = 50;

/** A small seeded generator, so a failing sequence of kill points can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface SequenceResult {
  readonly tornTails: number;
  readonly interruptedCompactions: number;
}

/** Kills a writer `kills` times on one directory, checking the instance after every kill. */
async function crashSequence(kills: number, next: () => number, io: LogIo): Promise<SequenceResult> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-crash-'));
  const versions: Versions = {};
  let tornTails = 0;
  let interruptedCompactions = 0;
  try {
    for (let kill = 0; kill < kills; kill++) {
      const acks = Math.floor(next() ** 2 * 1000);
      for (const [key, version] of await runAndKill(dir, `${dir}.acks`, versions, acks, { io })) {
        versions[key] = version;
      }
      const report = await checkRecovered(dir, versions, `kill ${kill}`);
      if (report.droppedBytes > 0) tornTails++;
      if (report.logs.length > 1 || report.removedFiles.length > 0) interruptedCompactions++;
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
