// Power-loss check of the file backend (docs/operations.md, "Durability under power loss"):
// `sudo npm run power-loss -- [--trials N]`. Root, a loop device and e2fsprogs are needed.
// Exit codes: 0 every cut kept every acknowledged write; 1 a cut did not, or the harness could not
// judge (its controls, or a cut later than the kernel's own writeback); 2 bad arguments or not root.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogIo } from '../../src/backends/file/log-writer.js';
import type { LogSync } from '../../src/index.js';
import {
  checkRecovered,
  killAfterAcks,
  killRunningWriters,
  runAndKill,
  type Versions,
} from '../../test/faults/file-crash-harness.js';
import { CONTROL_RECORD } from './control-record.js';
import { LoopDisk, syncAll } from './loop-disk.js';

const CONTROL_WRITER = new URL('./control-writer.ts', import.meta.url).pathname;
const CONTROL_TRIALS = 3;
const MAX_TRIALS = 200;
const MODES = [
  ['o_dsync', 'thread-pool'],
  ['o_dsync', 'blocking'],
  ['fdatasync', 'thread-pool'],
  ['fdatasync', 'blocking'],
] as const satisfies readonly (readonly [LogSync, LogIo])[];

function usage(problem: string): never {
  console.error(
    `power-loss: ${problem}\nusage: npm run power-loss -- [--trials N]   (N from 1 to ${MAX_TRIALS})`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 0 && (args.length !== 2 || args[0] !== '--trials'))
  usage(`unknown arguments: ${args.join(' ')}`);
const trials = args.length === 0 ? 16 : Number(args[1]);
if (!Number.isInteger(trials) || trials < 1 || trials > MAX_TRIALS) usage('--trials takes a whole number');
if (process.getuid?.() !== 0) usage('run it as root: it attaches loop devices and mounts filesystems');

/**
 * The kernel writes back, on its own, data dirty for longer than this: a cut that comes later
 * could find unsynced writes on the device, and says nothing. Half of it is the limit.
 */
const CUT_WITHIN_MS = (Number(readFileSync('/proc/sys/vm/dirty_expire_centisecs', 'utf8')) * 10) / 2;

/** Between 50 and 3,000 acknowledged writes before the cut, more often few. */
const acksBeforeCut = () => 50 + Math.floor(Math.random() ** 2 * 2951);

const work = mkdtempSync(join(tmpdir(), 'stowage-power-loss-'));
let disk: LoopDisk | undefined;
/** What an interrupt must undo: the disk, and the cut's copy while one is mounted. */
let cutCopy: LoopDisk | undefined;

function cleanUp(): void {
  killRunningWriters();
  for (const mounted of [cutCopy, disk]) {
    try {
      mounted?.dispose();
    } catch (error) {
      console.error(`power-loss: cleaning up: ${(error as Error).message}`);
    }
  }
  cutCopy = undefined;
  disk = undefined;
  rmSync(work, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/**
 * Cuts the power now and hands `check` the directory `name` as the cut left it. `since` is when the
 * writes began (performance.now()): a cut past CUT_WITHIN_MS of it cannot judge them.
 */
async function afterCut<T>(name: string, since: number, check: (dir: string) => Promise<T> | T): Promise<T> {
  const late = performance.now() - since - CUT_WITHIN_MS;
  if (late > 0) throw new Error(`${name}: the cut came ${Math.round(late)} ms too late to judge`);
  cutCopy = disk!.cut(join(work, 'cut.img'), join(work, 'cut'));
  try {
    return await check(join(cutCopy.mountPoint, name));
  } finally {
    cutCopy.dispose();
    cutCopy = undefined;
  }
}

/** How many records the control acknowledged, and how many of them the cut lost. */
async function controlLoss(
  sync: 'none' | 'fdatasync',
  trial: number,
): Promise<{ acked: number; lost: number }> {
  const name = `control-${sync}-${trial}`;
  mkdirSync(join(disk!.mountPoint, name));
  syncAll();
  const started = performance.now();
  const ackFile = join(work, `${name}.acks`);
  const file = join(disk!.mountPoint, name, 'data');
  const acked = (await killAfterAcks(CONTROL_WRITER, [file, ackFile, sync], {}, ackFile, acksBeforeCut()))
    .length;
  return afterCut(name, started, (dir) => {
    const path = join(dir, 'data');
    const text = existsSync(path) ? readFileSync(path, 'latin1') : '';
    let intact = 0;
    while (text.startsWith(CONTROL_RECORD, intact * CONTROL_RECORD.length)) intact++;
    return { acked, lost: Math.max(0, acked - intact) };
  });
}

/** One cut of the crash writer: why it failed, or undefined when every acknowledged write survived. */
async function stowageTrial(trial: number, logSync: LogSync, io: LogIo): Promise<string | undefined> {
  const name = `stowage-${trial}`;
  syncAll();
  const started = performance.now();
  const versions: Versions = {};
  try {
    const dir = join(disk!.mountPoint, name);
    const acks = await runAndKill(dir, join(work, `${name}.acks`), versions, acksBeforeCut(), {
      io,
      logSync,
    });
    for (const [key, version] of acks) versions[key] = version;
    await afterCut(name, started, (copy) =>
      checkRecovered(copy, versions, `trial ${trial} (${logSync}, ${io}, ${acks.length} acknowledged)`),
    );
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The controls, each CONTROL_TRIALS times: whether they behaved as a power cut must make them. */
async function controlsHold(): Promise<boolean> {
  let hold = true;
  for (const sync of ['none', 'fdatasync'] as const) {
    const results: { acked: number; lost: number }[] = [];
    for (let trial = 0; trial < CONTROL_TRIALS; trial++) results.push(await controlLoss(sync, trial));
    const shown = results.map(({ acked, lost }) => `${lost} of ${acked}`).join(', ');
    console.log(
      `control, appends with ${sync === 'none' ? 'no sync' : 'fdatasync'}: lost ${shown} acknowledged records`,
    );
    if (!results.every(({ lost }) => (sync === 'none' ? lost > 0 : lost === 0))) {
      console.error(`power-loss: the control with ${sync} did not behave as a power cut would make it`);
      hold = false;
    }
  }
  return hold;
}

let failed = false;
try {
  disk = LoopDisk.format(join(work, 'disk.img'), 256, join(work, 'disk'));
  if (!(await controlsHold())) {
    console.error('power-loss: the harness cannot judge stowage here; its trials were not run');
    failed = true;
  } else {
    /** Per mode: cuts, and cuts that failed the check. */
    const tally = new Map<string, { cuts: number; failures: number }>();
    for (let trial = 0; trial < trials; trial++) {
      const [logSync, io] = MODES[trial % MODES.length]!;
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
      console.log(`stowage, ${mode}: ${failures} of ${cuts} cuts failed the check`);
    }
  }
} catch (error) {
  console.error(`power-loss: ${error instanceof Error ? error.message : String(error)}`);
  failed = true;
} finally {
  cleanUp();
}
process.exitCode = failed ? 1 : 0;
