// Power-loss check of the file backend (docs/operations.md, "Durability under power loss"):
// `sudo npm run power-loss -- [--trials N]`. Root, a loop device and e2fsprogs are needed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogIo } from '../../src/backends/file/log-writer.js';
import type { LogSync } from '../../src/index.js';
import {
  checkRecovered,
  killAfterAcks,
  runAndKill,
  type Versions,
} from '../../test/faults/file-crash-harness.js';
import { CONTROL_RECORD } from './control-record.js';
import { LoopDisk, syncAll } from './loop-disk.js';

const CONTROL_WRITER = new URL('./control-writer.ts', import.meta.url).pathname;
const CONTROL_TRIALS = 3;
const MAX_TRIALS = 200;

const trialsArg = process.argv.indexOf('--trials');
const trials = trialsArg === -1 ? 16 : Number(process.argv[trialsArg + 1]);
if (!Number.isInteger(trials) || trials < 1 || trials > MAX_TRIALS) {
  console.error(`power-loss: --trials takes a whole number from 1 to ${MAX_TRIALS}`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('power-loss: run it as root: it attaches loop devices and mounts filesystems');
  process.exit(2);
}

/** Between 50 and 3,000 acknowledged writes before the cut, more often few. */
const acksBeforeCut = () => 50 + Math.floor(Math.random() ** 2 * 2950);

const work = mkdtempSync(join(tmpdir(), 'stowage-power-loss-'));
const disk = LoopDisk.format(join(work, 'disk.img'), 256, join(work, 'disk'));

/** Cuts the power now and hands `check` the directory `name` as the cut left it. */
async function afterCut<T>(name: string, check: (dir: string) => Promise<T> | T): Promise<T> {
  const copy = disk.cut(join(work, 'cut.img'), join(work, 'cut'));
  try {
    return await check(join(copy.mountPoint, name));
  } finally {
    copy.dispose();
  }
}

/** How many records the control acknowledged, and how many of them the cut lost. */
async function controlLoss(
  sync: 'none' | 'fdatasync',
  trial: number,
): Promise<{ acked: number; lost: number }> {
  const name = `control-${sync}-${trial}`;
  mkdirSync(join(disk.mountPoint, name));
  syncAll();
  const ackFile = join(work, `${name}.acks`);
  const file = join(disk.mountPoint, name, 'data');
  const acked = (await killAfterAcks(CONTROL_WRITER, [file, ackFile, sync], {}, ackFile, acksBeforeCut()))
    .length;
  return afterCut(name, (dir) => {
    const path = join(dir, 'data');
    const text = existsSync(path) ? readFileSync(path, 'latin1') : '';
    let intact = 0;
    while (text.startsWith(CONTROL_RECORD, intact * CONTROL_RECORD.length)) intact++;
    return { acked, lost: Math.max(0, acked - intact) };
  });
}

/** One cut of the crash writer; the failure's message, or undefined when every acknowledged write survived. */
async function stowageTrial(trial: number, logSync: LogSync, io: LogIo): Promise<string | undefined> {
  const name = `stowage-${trial}`;
  syncAll();
  const versions: Versions = {};
  const dir = join(disk.mountPoint, name);
  const acks = await runAndKill(dir, join(work, `${name}.acks`), versions, acksBeforeCut(), { io, logSync });
  for (const [key, version] of acks) versions[key] = version;
  return afterCut(name, async (dir) => {
    try {
      await checkRecovered(dir, versions, `trial ${trial} (${logSync}, ${io}, ${acks.length} acknowledged)`);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  });
}

let failed = false;
try {
  for (const sync of ['none', 'fdatasync'] as const) {
    const results: { acked: number; lost: number }[] = [];
    for (let trial = 0; trial < CONTROL_TRIALS; trial++) results.push(await controlLoss(sync, trial));
    const losses = results.map(({ lost }) => lost);
    console.log(
      `control, appends with ${sync === 'none' ? 'no sync' : 'fdatasync'}: lost ${results.map(({ acked, lost }) => `${lost} of ${acked}`).join(', ')} acknowledged records`,
    );
    const valid = sync === 'none' ? losses.every((lost) => lost > 0) : losses.every((lost) => lost === 0);
    if (!valid) {
      console.error(
        `power-loss: the control with ${sync} did not behave as a power cut would; the harness cannot judge stowage here`,
      );
      failed = true;
    }
  }
  if (!failed) {
    const modes = [
      ['o_dsync', 'thread-pool'],
      ['o_dsync', 'blocking'],
      ['fdatasync', 'thread-pool'],
      ['fdatasync', 'blocking'],
    ] as const;
    /** Per mode: cuts, and cuts that failed the check. */
    const tally = new Map<string, { cuts: number; failures: number }>();
    for (let trial = 0; trial < trials; trial++) {
      const [logSync, io] = modes[trial % modes.length]!;
      const failure = await stowageTrial(trial, logSync, io);
      const counts = tally.get(`${logSync}, ${io}`) ?? { cuts: 0, failures: 0 };
      tally.set(`${logSync}, ${io}`, {
        cuts: counts.cuts + 1,
        failures: counts.failures + (failure ? 1 : 0),
      });
      if (failure) {
        console.error(`power-loss: ${failure}`);
        failed = true;
      }
    }
    for (const [mode, { cuts, failures }] of tally) {
      console.log(
        `stowage, ${mode}: ${failures} of ${cuts} cuts failed the check (a write lost, or the open refused)`,
      );
    }
  }
} finally {
  disk.dispose();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
