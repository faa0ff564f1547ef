import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { median } from './median.js';
import { drive, medianStats, type RunStats } from './runtime-driver.js';
import { EchoWorker } from './runtime-floor.js';

/**
 * The actor runtime against its baselines, side by side in one run (docs/benchmarks.md):
 *  (a) memory backend through the runtime vs a raw worker_threads echo (the floor), 2 KiB objects,
 *      at 1, 64 and 1024 in flight;
 *  (b) file backend through the runtime vs the same backend on the main thread (LocalProvider);
 *  (c) main-thread event-loop delay p99 while each path is saturated with kube-prometheus CRDs.
 * Contenders alternate within each round; medians of ROUNDS rounds are reported.
 */
let ROUNDS = 3;
const KEYS = 1000;
const RUNTIME_OPTIONS = { mailbox: { capacity: 4096, concurrency: 1024 } } as const;

const objects = Array.from({ length: KEYS }, (_, i) => makeSizedObject(`o${i}`));

async function opened(provider: PersistenceProvider): Promise<string> {
  await provider.initialize(MachineId.generate());
  return provider.instances()[0]!;
}

async function partA(): Promise<string[]> {
  const rows: string[] = [];
  for (const inflight of [1, 64, 1024]) {
    const total = inflight === 1 ? 5000 : 50_000;
    const floor: RunStats[] = [];
    const runtime: RunStats[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const echo = new EchoWorker();
      await echo.roundTrip(null);
      floor.push(await drive(total, inflight, (i) => echo.roundTrip(objects[i % KEYS])));
      await echo.close();
      const provider = new RuntimeProvider([{ kind: 'memory', name: 'bench' }], RUNTIME_OPTIONS);
      const instance = await opened(provider);
      runtime.push(await drive(total, inflight, (i) => provider.putObject(instance, objects[i % KEYS]!)));
      await provider.close();
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

async function partB(): Promise<string[]> {
  const rows: string[] = [];
  for (const inflight of [1, 64, 256]) {
    const total = inflight === 1 ? 2000 : 20_000;
    const runs: Record<'direct' | 'runtime', RunStats[]> = { direct: [], runtime: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['direct', 'runtime'] as const) {
        runs[kind].push(
          await withFileProvider(kind, (p, instance) =>
            drive(total, inflight, (i) => p.putObject(instance, objects[i % KEYS]!)),
          ),
        );
      }
    }
    const d = medianStats(runs.direct);
    const r = medianStats(runs.runtime);
    rows.push(
      `| ${inflight} | ${fmt(d.opsPerSec)} | ${ms(d.p50)} / ${ms(d.p99)} | ${fmt(r.opsPerSec)} | ${ms(r.p50)} / ${ms(r.p99)} | ${(r.opsPerSec / d.opsPerSec).toFixed(2)} |`,
    );
    console.log(rows.at(-1));
  }
  return rows;
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
    for (const kind of ['direct', 'runtime'] as const) {
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

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(3);

export async function run(args: string[] = []): Promise<typeof QUICK_LOOK | undefined> {
  // `--rounds N` for a quick look; the documented numbers use 3.
  const at = args.indexOf('--rounds');
  if (at !== -1) ROUNDS = Number(args[at + 1]);
  console.log('(a) memory through the runtime vs raw worker_threads echo');
  const a = await partA();
  console.log('(b) file through the runtime vs LocalProvider on the main thread');
  const b = await partB();
  console.log('(c) event-loop delay under CRD load');
  const c = await partC();
  const body = [
    '## Actor runtime',
    '',
    '`npx tsx bench/main.ts runtime` (also `npm run bench -- runtime`). Medians of 3 rounds; contenders',
    'alternate within each round. 2 KiB ConfigMaps over 1,000 keys unless noted. Measured on the',
    'shared 2-core machine while other engineers were running tests and benchmarks, so absolute',
    'numbers are noisy: read the ratios. Latencies are per operation, in milliseconds, p50 / p99.',
    '',
    '### (a) memory backend through the runtime vs a raw worker_threads echo (the floor)',
    '',
    '| in flight | floor ops/s | floor p50 / p99 | runtime ops/s | runtime p50 / p99 | runtime / floor |',
    '|---:|---:|---:|---:|---:|---:|',
    ...a,
    '',
    '### (b) file backend through the runtime vs the same backend on the main thread',
    '',
    '| in flight | direct ops/s | direct p50 / p99 | runtime ops/s | runtime p50 / p99 | runtime / direct (goal ≥ 0.9) |',
    '|---:|---:|---:|---:|---:|---:|',
    ...b,
    '',
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
    '- (a) The floor does nothing with the message; the runtime validates and canonically encodes',
    '  every object in the worker (about 10 µs for 2 KiB), checks identity and keeps per-key order.',
    '  At 64 and 1024 in flight the worker thread is the bottleneck, busy mostly with that encoding:',
    "  it is the same work the direct path does on the caller's thread.",
    '- (b) At 1 in flight the ratio is bounded by the hand-off itself: the floor in (a) is a',
    '  round trip of about 0.09 ms, against about 0.27 ms for a whole durable put on the main thread,',
    '  so even a free worker could not exceed about 0.75 here. At 64 and 256 in flight, timestamps',
    "  around the log's writev and fdatasync (taken once by hand at 256 in flight with a scratch",
    '  harness, not part of this benchmark) show what differs. Direct: the callers split into two',
    '  groups that alternate, batches of 128 (median), writev 0.48 ms and fdatasync 0.46 ms (median),',
    '  0.13 ms between batches. Through the runtime: batches alternate 64 / 192 (one 64-operation',
    '  message, then the three that arrived behind it), writev and fdatasync take 0.54 / 0.59 ms at',
    '  the median but 1.46 / 2.14 ms at p90 (direct: 0.81 / 0.90), and the log waits 0.62 ms on',
    '  average (p90 1.64 ms) between batches for operations that are crossing threads. A likely cause,',
    "  not confirmed: three busy threads (the caller's, the worker, libuv's I/O thread) share two",
    '  cores, so completions wait for one. Tried, each without a change beyond the run-to-run noise:',
    '  starting one batch per event-loop turn in the worker, resolving replies 32 per turn on the main',
    "  thread, encoding objects on the caller's thread and sending bytes (the worker's time per",
    '  message fell from 4.0 to 2.7 ms, the main thread became the busier one), a 64 MiB young',
    '  generation for the worker, and batch shapes 64 × 16, 32 × 16, 128 × 8 and 16 × 32. Bypassing',
    '  the p-queue mailbox gained 10–15%, inside the spread between runs. The goal of 0.9 was not',
    '  met on this machine.',
    '- (c) The direct path runs validation and canonical encoding of each CRD (up to ~0.5 MiB) on the',
    "  caller's thread; the runtime only structured-clones them, at most one batch per event-loop turn.",
  ].join('\n');
  console.log(`(c) ratio ${c.ratio.toFixed(2)}`);
  if (ROUNDS >= 3) {
    writeSection('runtime', body);
    return undefined;
  }
  console.log(body);
  return QUICK_LOOK;
}
