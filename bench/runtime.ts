import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  FileBackend,
  instanceName,
  LocalProvider,
  MachineId,
  type PersistenceProvider,
  type RuntimeObject,
} from '../src/index.js';
import { RuntimeProvider } from '../src/runtime/runtime-provider.js';
import { loadFixtureObjects } from '../test/helpers/fixtures.js';
import { makeSizedObject } from '../test/helpers/objects.js';
import { QUICK_LOOK, writeSection } from './doc.js';
import { median, pairedRatios, withRuns } from './median.js';
import { drive, medianStats, type RunStats } from './runtime-driver.js';
import { EchoWorker } from './runtime-floor.js';
import { cpuPerOperation, THREAD_ROLES, type ThreadRole, threadCpuSnapshot } from './thread-cpu.js';

/**
 * The actor runtime against its baselines, side by side in one run (docs/benchmarks.md):
 *  (a) memory backend through the runtime vs a raw worker_threads echo (the floor), 2 KiB objects,
 *      at 1, 64 and 1024 in flight;
 *  (b) file backend through the runtime vs the same backend on the main thread (LocalProvider);
 *  (c) main-thread event-loop delay p99 while each path is saturated with kube-prometheus CRDs.
 * Each round runs the contenders one after the other, in reverse order in odd rounds; medians of
 * ROUNDS rounds are reported.
 */
let ROUNDS = 3;
const KEYS = 1000;
const RUNTIME_OPTIONS = { mailbox: { capacity: 4096, concurrency: 1024 } } as const;

const objects = Array.from({ length: KEYS }, (_, i) => makeSizedObject(`o${i}`));

async function opened(provider: PersistenceProvider): Promise<string> {
  await provider.initialize(MachineId.generate());
  return provider.instances()[0]!;
}

/**
 * drive() after half as many unmeasured operations on the same instance. Each run opens a fresh
 * instance, and for the runtime that is a fresh worker whose code starts unoptimized, while the
 * direct path runs on a main thread that earlier runs already warmed: without this, (b) compared a
 * cold worker with a warm main thread. Both contenders get the same warm-up.
 */
function warmedDrive(
  total: number,
  inflight: number,
  op: (i: number) => Promise<unknown>,
): Promise<RunStats & { readonly cpu: Record<ThreadRole, number> | undefined }> {
  return drive(Math.ceil(total / 2), inflight, op).then(async () => {
    const before = threadCpuSnapshot();
    const stats = await drive(total, inflight, op);
    const after = threadCpuSnapshot();
    return { ...stats, cpu: before && after ? cpuPerOperation(before, after, total) : undefined };
  });
}

async function partA(): Promise<string[]> {
  const rows: string[] = [];
  for (const inflight of [1, 64, 1024]) {
    const total = inflight === 1 ? 5000 : 50_000;
    const floor: RunStats[] = [];
    const runtime: RunStats[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const contenders = [
        async () => {
          const echo = new EchoWorker();
          await echo.roundTrip(null);
          floor.push(await warmedDrive(total, inflight, (i) => echo.roundTrip(objects[i % KEYS])));
          await echo.close();
        },
        async () => {
          const provider = new RuntimeProvider([{ kind: 'memory', name: 'bench' }], RUNTIME_OPTIONS);
          const instance = await opened(provider);
          runtime.push(
            await warmedDrive(total, inflight, (i) => provider.putObject(instance, objects[i % KEYS]!)),
          );
          await provider.close();
        },
      ];
      for (const contender of inTurn(contenders, round)) await contender();
    }
    const f = medianStats(floor);
    const r = medianStats(runtime);
    rows.push(
      `| ${inflight} | ${fmt(f.opsPerSec)} | ${ms(f.p50)} / ${ms(f.p99)} | ${fmt(r.opsPerSec)} | ${ms(r.p50)} / ${ms(r.p99)} | ${(r.opsPerSec / f.opsPerSec).toFixed(2)} |`,
    );
    console.log(rows.at(-1));
  }
  return rows;
}

async function withFileProvider<T>(
  kind: 'direct' | 'runtime',
  body: (provider: PersistenceProvider, instance: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `stowage-bench-${kind}-`));
  const provider =
    kind === 'direct'
      ? new LocalProvider([{ name: instanceName('file', dir), backend: new FileBackend(dir) }])
      : new RuntimeProvider([{ kind: 'file', dir }], RUNTIME_OPTIONS);
  try {
    return await body(provider, await opened(provider));
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** CPU µs per put by thread role, medians over rounds, for one path at one concurrency. */
type CpuRow = Record<ThreadRole | 'all', number>;

interface CpuAtConcurrency {
  readonly inflight: number;
  readonly direct: CpuRow;
  readonly runtime: CpuRow;
  readonly directOpsPerSec: number;
}

/** The CPU table of (b), and what it says about the goal, or nothing where /proc could not tell. */
function cpuSection(cpu: readonly CpuAtConcurrency[]): string[] {
  const last = cpu.at(-1);
  if (!last) return [];
  const cores = availableParallelism();
  const us = (n: number) => n.toFixed(1);
  const ceiling = (cores * 1e6) / last.runtime.all;
  return [
    '#### CPU per put, by thread (µs, medians)',
    '',
    "From each thread's time on a CPU (/proc/self/task/*/schedstat) over the measured operations: the",
    "caller's thread; the actor's worker (every worker_threads thread: under tsx its module loader is",
    "one, idle once the modules are loaded); V8's helper threads (garbage collection, compilation);",
    "libuv's thread pool (the direct path's log writes and syncs); anything else.",
    '',
    "| in flight | path | caller's thread | actor's worker | V8 helpers | libuv pool | other | all threads |",
    '|---:|---|---:|---:|---:|---:|---:|---:|',
    ...cpu.flatMap((at) =>
      (['direct', 'runtime'] as const).map((path) => {
        const row = at[path];
        return `| ${at.inflight} | ${path} | ${us(row.caller)} | ${path === 'direct' ? '—' : us(row.worker)} | ${us(row.v8)} | ${us(row.libuv)} | ${us(row.other)} | ${us(row.all)} |`;
      }),
    ),
    '',
    `At ${last.inflight} in flight the runtime spent ${us(last.runtime.all)} µs of CPU per put over all its`,
    `threads and the direct path ${us(last.direct.all)}. On ${cores} cores, at that much CPU per put, the runtime cannot pass ${fmt(ceiling)}`,
    `puts/s even if no thread ever waited for another: ${(ceiling / last.directOpsPerSec).toFixed(2)}× the direct path's`,
    `${fmt(last.directOpsPerSec)} in this run. ${
      ceiling < 0.9 * last.directOpsPerSec
        ? 'That is under the goal of 0.9 however the threads are scheduled: only less CPU per put can reach it.'
        : 'The CPU alone does not rule the goal of 0.9 out here; how the threads wait for each other decides it.'
    }`,
    '',
  ];
}

async function partB(): Promise<{
  rows: string[];
  reached: string[];
  cpu: CpuAtConcurrency[];
}> {
  const rows: string[] = [];
  const reached: string[] = [];
  const cpu: CpuAtConcurrency[] = [];
  for (const inflight of [1, 64, 256]) {
    const total = inflight === 1 ? 2000 : 40_000;
    const runs: Record<'direct' | 'runtime', Awaited<ReturnType<typeof warmedDrive>>[]> = {
      direct: [],
      runtime: [],
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of inTurn(['direct', 'runtime'] as const, round)) {
        runs[kind].push(
          await withFileProvider(kind, (p, instance) =>
            warmedDrive(total, inflight, (i) => p.putObject(instance, objects[i % KEYS]!)),
          ),
        );
      }
    }
    const d = medianStats(runs.direct);
    const r = medianStats(runs.runtime);
    const rounds = pairedRatios(
      runs.runtime.map((s) => s.opsPerSec),
      runs.direct.map((s) => s.opsPerSec),
    );
    rows.push(
      `| ${inflight} | ${fmt(d.opsPerSec)} | ${ms(d.p50)} / ${ms(d.p99)} | ${fmt(r.opsPerSec)} | ${ms(r.p50)} / ${ms(r.p99)} | ${withRuns(rounds)} |`,
    );
    reached.push(`${rounds.filter((ratio) => ratio >= 0.9).length} of ${rounds.length} at ${inflight}`);
    console.log(rows.at(-1));
    const direct = medianCpu(runs.direct.map((run) => run.cpu));
    const runtime = medianCpu(runs.runtime.map((run) => run.cpu));
    if (direct && runtime) cpu.push({ inflight, direct, runtime, directOpsPerSec: d.opsPerSec });
  }
  return { rows, reached, cpu };
}

/** Each role's median over the runs, and their sum; undefined when a run could not read /proc. */
function medianCpu(runs: readonly (Record<ThreadRole, number> | undefined)[]): CpuRow | undefined {
  if (runs.some((run) => run === undefined)) return undefined;
  const measured = runs as readonly Record<ThreadRole, number>[];
  const total = (run: Record<ThreadRole, number>) => THREAD_ROLES.reduce((sum, role) => sum + run[role], 0);
  const row = { all: median(measured.map(total)) } as CpuRow;
  for (const role of THREAD_ROLES) row[role] = median(measured.map((run) => run[role]));
  return row;
}

/** Four renamed copies of each CRD, built before measuring so the copying is not measured. */
function crdCopies(): RuntimeObject[] {
  const crds = loadFixtureObjects()
    .map((f) => f.object)
    .filter((o) => o.kind === 'CustomResourceDefinition');
  return crds.flatMap((crd, c) =>
    Array.from({ length: 4 }, (_, copy) => {
      const clone = structuredClone(crd);
      clone.metadata.name = `c${c}-${copy}.bench.example.com`;
      return clone;
    }),
  );
}

async function partC(): Promise<{ rows: string[]; ratio: number; mib: number }> {
  const crds = crdCopies();
  const mib = crds.reduce((sum, o) => sum + JSON.stringify(o).length, 0) / crds.length / 1048576;
  const total = 160;
  const inflight = 8;
  const p99: Record<'direct' | 'runtime', number[]> = { direct: [], runtime: [] };
  const max: Record<'direct' | 'runtime', number[]> = { direct: [], runtime: [] };
  const rate: Record<'direct' | 'runtime', number[]> = { direct: [], runtime: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of inTurn(['direct', 'runtime'] as const, round)) {
      await withFileProvider(kind, async (p, instance) => {
        const delay = monitorEventLoopDelay({ resolution: 1 });
        delay.enable();
        const stats = await drive(total, inflight, (i) => p.putObject(instance, crds[i % crds.length]!));
        delay.disable();
        p99[kind].push(delay.percentile(99) / 1e6);
        max[kind].push(delay.max / 1e6);
        rate[kind].push(stats.opsPerSec);
      });
    }
  }
  const rows = (['direct', 'runtime'] as const).map(
    (kind) =>
      `| ${kind === 'direct' ? 'direct (main thread)' : 'runtime (worker)'} | ${median(p99[kind]).toFixed(1)} | ${median(max[kind]).toFixed(1)} | ${median(rate[kind]).toFixed(0)} |`,
  );
  rows.forEach((row) => {
    console.log(row);
  });
  return { rows, ratio: median(p99.runtime) / median(p99.direct), mib };
}

/** The contenders in order in even rounds and reversed in odd ones, so neither always goes first. */
function inTurn<T>(contenders: readonly T[], round: number): readonly T[] {
  return round % 2 === 0 ? contenders : [...contenders].reverse();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(3);

export async function run(args: string[] = []): Promise<typeof QUICK_LOOK | undefined> {
  // `--rounds N` for a quick look; the documented numbers use 3.
  const at = args.indexOf('--rounds');
  if (at !== -1) {
    ROUNDS = Number(args[at + 1]);
    if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
      throw new Error('--rounds takes a whole number of 1 or more');
  }
  console.log('(a) memory through the runtime vs raw worker_threads echo');
  const a = await partA();
  console.log('(b) file through the runtime vs LocalProvider on the main thread');
  const b = await partB();
  console.log('(c) event-loop delay under CRD load');
  const c = await partC();
  const body = [
    '## Actor runtime',
    '',
    `\`npx tsx bench/main.ts runtime\` (also \`npm run bench -- runtime\`). Medians of ${ROUNDS} rounds; each round runs`,
    'the contenders one after the other, in reverse order in odd rounds. (a) and (c) give the ratio of the',
    "medians, (b) the median of each round's ratio. 2 KiB ConfigMaps over 1,000 keys unless noted. Measured on the",
    'shared 2-core machine while other engineers were running tests and benchmarks, so absolute',
    'numbers are noisy: read the ratios. Latencies are per operation, in milliseconds, p50 / p99.',
    'In (a) and (b) every run opens a fresh instance and drives half as many operations unmeasured',
    "before the measured ones, so each contender is measured warm: the runtime's fresh worker starts",
    'in unoptimized code, while the direct path runs on a main thread that earlier runs had warmed.',
    '',
    '### (a) memory backend through the runtime vs a raw worker_threads echo (the floor)',
    '',
    '| in flight | floor ops/s | floor p50 / p99 | runtime ops/s | runtime p50 / p99 | runtime / floor |',
    '|---:|---:|---:|---:|---:|---:|',
    ...a,
    '',
    '### (b) file backend through the runtime vs the same backend on the main thread',
    '',
    "Direct: LocalProvider + FileBackend on the caller's thread, its log I/O on libuv's thread pool (blocking",
    "calls would stall that thread's event loop). Runtime: the same backend in the actor's worker, whose log",
    'I/O blocks the worker, which serves nothing else (src/backends/create-backend.ts).',
    '',
    '| in flight | direct ops/s | direct p50 / p99 | runtime ops/s | runtime p50 / p99 | runtime / direct (goal ≥ 0.9) |',
    '|---:|---:|---:|---:|---:|---:|',
    ...b.rows,
    '',
    ...cpuSection(b.cpu),
    `### (c) main-thread event-loop delay while saturated with CRDs (${c.mib.toFixed(2)} MiB mean, 8 in flight, file backend)`,
    '',
    '| path | loop delay p99 (ms) | loop delay max (ms) | puts/s |',
    '|---|---:|---:|---:|',
    ...c.rows,
    '',
    `Runtime / direct loop-delay p99: **${c.ratio.toFixed(2)}** (goal ≤ 0.2).`,
    '',
    '### Reading the numbers',
    '',
    '- (a) The floor does nothing with the message. The runtime validates and canonically encodes',
    "  each 2 KiB object on the caller's thread (about 3 µs), admits it to the mailbox and batches",
    "  it; the worker stores it and replies. At 1024 in flight the caller's thread is the bottleneck:",
    "  in a scratch harness its event-loop utilization was 0.98–0.99, the worker's about 0.3.",
    "  At 1 in flight the actor's idle worker polls for its next message (docs/architecture.md,",
    '  "Idle spin"), where the floor\'s worker sleeps between messages and must be woken. On the',
    '  Intel Xeon these benchmarks ran on until 2026-11-30 that made the runtime as fast as the floor',
    "  or faster (0.65–0.70 without the spin). On the AMD EPYC of the later runs the floor's round",
    "  trip takes 0.04 ms at the median, half the Xeon's, while the runtime's work per operation is",
    "  slower (so is the provider layer's in the file benchmark), and this ratio measured 0.26 and 0.32",
    '  in its first two runs (2026-11-30); why the spin gains less there is not measured.',
    '- (b) At 1 in flight the hand-off bounds the ratio: a whole durable put on the main thread takes',
    '  about 0.25–0.29 ms, and the runtime adds two trips between threads. The idle spin took the',
    '  ratio from 0.70–0.76 to 0.78–0.91 (2026-11-29: three runs of this benchmark without, seven with): the worker',
    '  starts on a batch 17–20 µs after it is posted instead of 55–57 µs, and what remains is the',
    "  reply's trip back, 40–50 µs, which has to wake the caller's thread. Until the warm-up, (b) measured each runtime run from",
    "  its fresh worker's first operation: the last run without it gave 0.84 at 64 and 0.59 at 256 in",
    '  flight, the first with it 1.10 and 0.80 (2026-11-29, 12:36 and 13:03 UTC). At 64 and 256 in flight, timestamps',
    '  taken by hand in a scratch harness (not part of this benchmark) had shown the worker idle',
    "  while the caller's thread took 1.7–2.2 ms between receiving replies and posting the next batch:",
    '  the resubmitted operations all waited for the end of one long turn. Three changes followed:',
    '  a full batch now leaves the moment it fills (at 64, or at half the operations outstanding, so',
    '  at 64 in flight two batches of 32 alternate); objects up to 8 Ki characters are encoded on the',
    "  caller's thread and cross as JSON text, so the worker no longer deserializes and encodes them;",
    "  and the worker's log writes and syncs with blocking calls instead of libuv's thread pool. Each",
    '  alone moved the ratio by less than the spread between runs; together they took the runtime at',
    "  256 in flight from about 47k to 71–76k puts/s in that harness. The caller's thread stays the",
    '  busier one: a CPU profile of it at 256 in flight (scratch, 2026-11-29) shows canonical encoding',
    '  28% and measuring its UTF-8 size 5%, the mailbox with the p-queue task it starts 17% (the',
    "  batcher's share inside it 10%), GC 7%, idle 15%. A no-op task costs p-queue 10.0.0 about",
    '  1.9 µs here (9.3.5: 1.3 µs, 8.1.1: 0.65 µs, in a microbenchmark), and every put pays one; a bare',
    '  semaphore in its place (scratch only, since p-queue is the mailbox the design names) gave 0.81',
    '  and 0.85 at 256 in flight against 0.80–0.81 with p-queue. Since stored values own their buffers',
    '  (docs/architecture.md, "Memory"), both paths pay about 1 µs per put more: the direct path on its',
    `  one thread, the runtime in the worker. Runs at or over the goal of 0.9 in this run: ${b.reached.join(', ')}`,
    '  in flight.',
    '- (c) The direct path runs validation and canonical encoding of each CRD (up to ~0.5 MiB) on the',
    "  caller's thread. The runtime encodes there only objects up to 8 Ki characters (4 of these 40",
    '  CRD copies); it validates and copies the others there (plainCopy, which shares their strings)',
    '  and structured-clones the copy, at most one per message and one message per turn.',
    "  A clone of the largest CRD takes about 1 ms, yet the runtime's p99 is 3–5 ms: in a scratch run",
    '  on 2026-11-29, 21 of the 27 event-loop gaps over 3.5 ms used less than half their length in',
    '  main-thread CPU (process.threadCpuUsage()), so the thread was waiting for a core, not working.',
    '  Faster encoding had moved the ratio up in the runs just after it (2026-11-29: 0.15–0.20, from',
    '  0.08–0.10): the direct path encodes a CRD in about 70% of the time it took, and the runtime,',
    "  whose worker encodes faster too, takes more CRDs per second through the caller's thread. Both",
    '  paths run a closed loop at 8 in flight, so the one that stores fewer CRDs per second also puts',
    "  less work on the caller's thread per second; an open loop at one rate for both would compare",
    '  equal loads, and this benchmark does not do that.',
  ].join('\n');
  console.log(`(c) ratio ${c.ratio.toFixed(2)}`);
  if (ROUNDS >= 3) {
    writeSection('runtime', body);
    return undefined;
  }
  console.log(body);
  return QUICK_LOOK;
}
