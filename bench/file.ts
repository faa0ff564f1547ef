/**
 * The file backend against the baselines of issue #3, side by side in one run:
 *   durable puts/s of 2 KiB objects at 1, 64 and 256 in flight through LocalProvider + FileBackend,
 *   (a) raw write + fsync + rename, one file per object, (b) raw log append + fdatasync at batch
 *   256 (the physical limit), (c) single-node etcd via its v3 JSON gateway (skipped with a note
 *   when the `etcd` binary is absent); then a cold open of 100k objects against JSON.parse of the
 *   same bytes, and resident memory against the data's size. Medians of RUNS interleaved runs
 *   (PROCESS_RUNS for the last two, each in fresh processes).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileBackend,
  gvk,
  instanceName,
  LocalProvider,
  MachineId,
  MemoryBackend,
  type ObjectKey,
  type RuntimeObject,
} from '../src/index.js';
import { writeSection } from './doc.js';
import { measureChurn } from './file-churn.js';
import { etcdPuts, startEtcd } from './file-etcd.js';
import { measureInit, prepareInit } from './file-init.js';
import { closedLoop, percentile, rate, sizedObject } from './file-load.js';
import { rawFilePerObject, rawLogAppend } from './file-raw.js';
import { median, pairedRatios, withRuns } from './median.js';
import { met } from './report.js';

/** Runs of the throughput cells: an even number, so each contender order below runs as often. */
const RUNS = 4;
/** Runs of the cold open and of the overwrites, each in fresh processes. */
const PROCESS_RUNS = 3;
const DURATION_MS = 1500;
const IN_FLIGHT = [1, 64, 256] as const;
const INIT_OBJECTS = 100_000;
/** Random overwrites after filling INIT_OBJECTS objects: two per object on average. */
const CHURN_OVERWRITES = 200_000;
const PAYLOAD = Buffer.alloc(2048, 'x');

/** Each worker cycles through 16 objects of its own, so puts overwrite as updates would. */
function workerObjects(concurrency: number): RuntimeObject[][] {
  return Array.from({ length: concurrency }, (_, w) =>
    Array.from({ length: 16 }, (_, i) => sizedObject(`w${w}-${i}`) as RuntimeObject),
  );
}

/** The full direct path: LocalProvider (validation, canonical JSON, key order) over `backend`. */
async function providerPuts(backend: FileBackend | MemoryBackend, concurrency: number) {
  const name = instanceName(backend.kind, 'bench');
  const provider = new LocalProvider([{ name, backend }]);
  await provider.initialize(MachineId.generate());
  const objects = workerObjects(concurrency);
  try {
    return await closedLoop(concurrency, DURATION_MS, (w, i) =>
      provider.putObject(name, objects[w]![i % 16]!),
    );
  } finally {
    await provider.close();
  }
}

/** The backend alone: the same encoded bytes, straight into FileBackend.put. */
async function backendPuts(dir: string, concurrency: number) {
  const backend = new FileBackend(dir);
  await backend.open(MachineId.generate());
  const kind = gvk('', 'v1', 'ConfigMap');
  const bytes = workerObjects(concurrency).map((objects) =>
    objects.map((o) => Buffer.from(JSON.stringify(o))),
  );
  try {
    return await closedLoop(concurrency, DURATION_MS, (w, i) =>
      backend.put(kind, `bench/w${w}-${i % 16}` as ObjectKey, bytes[w]![i % 16]!),
    );
  } finally {
    await backend.close();
  }
}

export async function run(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'stowage-bench-file-'));
  const samples = new Map<string, number[]>();
  const add = (key: string, value: number): void => {
    samples.set(key, [...(samples.get(key) ?? []), value]);
  };
  const med = (key: string) => (samples.has(key) ? median(samples.get(key)!) : Number.NaN);
  const etcd = await startEtcd();
  if (!etcd) console.log('note: no `etcd` binary (Debian etcd-server); the etcd baseline is skipped');
  try {
    for (let r = 0; r < RUNS; r++) {
      // The shared disk runs faster after a rest than after a burst of writes, so no contender may
      // always follow the same one: odd runs take the levels and the contenders in reverse order.
      // The raw log sits beside stowage's own file cell at its level, before it in one order and
      // after it in the other, so the ratio the 0.3× goal reads compares neighbours.
      const reversed = r % 2 === 1;
      for (const c of reversed ? [...IN_FLIGHT].reverse() : IN_FLIGHT) {
        const dir = join(root, `run${r}-${c}`);
        const cells: (() => Promise<void>)[] = [
          async () => {
            const file = await providerPuts(new FileBackend(join(dir, 'file')), c);
            add(`file@${c}`, rate(file));
            add(`p50@${c}`, percentile(file.latencies, 50));
            add(`p99@${c}`, percentile(file.latencies, 99));
          },
          ...(c === 256
            ? [async () => add('log@256', rate(await rawLogAppend(root, 256, DURATION_MS, PAYLOAD)))]
            : []),
          // The disk's own tail: a put at 64 in flight can never beat the p99 of one 64-record batch.
          ...(c === 64
            ? [
                async () =>
                  add(
                    'log-p99@64',
                    percentile((await rawLogAppend(root, 64, DURATION_MS, PAYLOAD)).latencies, 99),
                  ),
              ]
            : []),
          async () => {
            const direct = await backendPuts(join(dir, 'direct'), c);
            add(`direct@${c}`, rate(direct));
            add(`direct-p99@${c}`, percentile(direct.latencies, 99));
          },
          async () => {
            const memory = await providerPuts(new MemoryBackend(), c);
            add(`memory@${c}`, rate(memory));
            add(`memory-p99@${c}`, percentile(memory.latencies, 99));
          },
          async () => {
            await mkdir(join(dir, 'raw'), { recursive: true });
            add(`rename@${c}`, rate(await rawFilePerObject(join(dir, 'raw'), c, DURATION_MS, PAYLOAD)));
          },
          async () => {
            if (!etcd) return;
            const cpuBefore = etcd.cpuSeconds();
            const result = await etcdPuts(etcd, c, DURATION_MS, PAYLOAD);
            add(`etcd@${c}`, rate(result));
            add(`etcd-cpu@${c}`, ((etcd.cpuSeconds() - cpuBefore) / result.ops) * 1e6);
          },
        ];
        for (const cell of reversed ? cells.reverse() : cells) await cell();
        await rm(dir, { recursive: true, force: true });
      }
      console.log(
        `run ${r + 1}/${RUNS}: file@256 ${med('file@256').toFixed(0)}/s, log@256 ${med('log@256').toFixed(0)}/s`,
      );
    }
  } finally {
    await etcd?.stop();
  }

  const dataBytes = await prepareInit(join(root, 'init'), join(root, 'init.json'), INIT_OBJECTS);
  for (let r = 0; r < PROCESS_RUNS; r++) {
    const sample = measureInit(join(root, 'init'), join(root, 'init.json'));
    add('openMs', sample.openMs);
    add('parseMs', sample.parseMs);
    add('readParseMs', sample.readMs + sample.parseMs);
    add('rss', sample.rssGained);
    add('rssPeak', sample.rssPeak);
  }
  for (let r = 0; r < PROCESS_RUNS; r++) {
    for (const path of ['direct', 'runtime'] as const) {
      const sample = measureChurn(join(root, `churn${r}-${path}`), INIT_OBJECTS, CHURN_OVERWRITES, path);
      add(`churnRss-${path}`, sample.rss);
      add(`churnArrayBuffers-${path}`, sample.arrayBuffers);
      add('churnValues', sample.valueBytes);
    }
  }
  await rm(root, { recursive: true, force: true });

  const markdown = report(med, (key) => samples.get(key) ?? [], dataBytes, etcd?.version ?? null);
  console.log(markdown);
  writeSection('file', markdown);
}

function report(
  med: (key: string) => number,
  runs: (key: string) => readonly number[],
  dataBytes: number,
  etcdVersion: string | null,
): string {
  const n = (v: number) => (Number.isNaN(v) ? 'n/a' : Math.round(v).toLocaleString('en-US'));
  const x = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)}×`);
  const row = (label: string, key: string) =>
    `| ${label} | ${IN_FLIGHT.map((c) => n(med(`${key}@${c}`))).join(' | ')} |`;
  // The same verdict as the head of docs/benchmarks.md: every run counts (report.ts, met()).
  const goal = (what: string, value: string, target: string) =>
    `| ${what} | ${value} | ${target} | ${met(target, value)} |`;
  /**
   * A throughput goal: the median of the runs' ratios, then each run's, since a median alone can
   * hide a run that missed; met() gives `yes` only when every one meets it.
   */
  const atLeast = (what: string, key: string, baseline: string, target: number) => {
    const ratios = pairedRatios(runs(key), runs(baseline));
    const measured = ratios.length === 0 || ratios.some(Number.isNaN) ? 'n/a' : withRuns(ratios, '×');
    return goal(what, measured, `≥ ${target}×`);
  };

  const p99 = med('p99@64');
  const directP99 = med('direct-p99@64');
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const initRatio = med('openMs') / med('parseMs');
  // The stricter of the two readings: at the open's peak, and once its garbage is collected.
  const memoryRatio = Math.max(med('rss'), med('rssPeak')) / dataBytes;
  const churnRatio = (path: string) => med(`churnRss-${path}`) / med('churnValues');
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  return [
    '## File backend: durable puts against one file per object, a raw log and etcd',
    '',
    `\`npx tsx bench/main.ts file\` (= \`npm run bench -- file\`): closed-loop puts of 2 KiB objects for ${DURATION_MS / 1000} s per cell,`,
    `median of ${RUNS} interleaved runs, every contender on the same disk in the same run; odd runs take the`,
    'levels and the contenders in reverse order, and the raw log (b) runs next to the stowage file cell at',
    `256 in flight, so the goal's ratio compares neighbours. Ratios are the median of each run's ratio. "stowage file" is`,
    'LocalProvider + FileBackend (validation, canonical JSON, group commit, one O_DSYNC write before each ack).',
    'Measured on the shared 2-core machine while other engineers were running tests: absolute numbers',
    'are noisy, read the ratios.',
    '',
    '| durable puts/s | 1 in flight | 64 in flight | 256 in flight |',
    '|---|---:|---:|---:|',
    row('stowage file: LocalProvider + FileBackend', 'file'),
    row('FileBackend.put alone (bytes already encoded)', 'direct'),
    row("LocalProvider + memory backend: the provider layer's CPU ceiling, no I/O", 'memory'),
    row('(a) raw write + fsync + rename + directory fsync, file per object', 'rename'),
    `| (b) raw log append + fdatasync, batch 256 (records/s) | | | ${n(med('log@256'))} |`,
    etcdVersion
      ? row(`(c) etcd ${etcdVersion}, single node, v3 JSON gateway`, 'etcd')
      : '| (c) etcd | skipped: no `etcd` binary | | |',
    ...(etcdVersion ? [row('(c) etcd CPU per put, its own process, µs', 'etcd-cpu')] : []),
    `| stowage file p50 / p99 put latency, ms | ${IN_FLIGHT.map((c) => `${med(`p50@${c}`).toFixed(2)} / ${med(`p99@${c}`).toFixed(2)}`).join(' | ')} |`,
    `| FileBackend alone p99, ms | ${IN_FLIGHT.map((c) => med(`direct-p99@${c}`).toFixed(2)).join(' | ')} |`,
    `| LocalProvider + memory p99, ms | ${IN_FLIGHT.map((c) => med(`memory-p99@${c}`).toFixed(2)).join(' | ')} |`,
    `| (b) raw log, one batch of 64 records: p99 of writev + fdatasync, ms | | ${med('log-p99@64').toFixed(2)} | |`,
    '',
    `Cold initialize of ${INIT_OBJECTS.toLocaleString('en-US')} objects (${(dataBytes / 2 ** 20).toFixed(0)} MiB of values), each in a fresh process, page cache warm:`,
    `open ${med('openMs').toFixed(0)} ms; \`JSON.parse\` of the same bytes as one array ${med('parseMs').toFixed(0)} ms`,
    `(${med('readParseMs').toFixed(0)} ms with readFile). Resident memory gained by the open: ${(med('rss') / 2 ** 20).toFixed(0)} MiB once its`,
    `garbage is collected, ${(med('rssPeak') / 2 ** 20).toFixed(0)} MiB at its peak (right after the open, the read chunk not yet collected).`,
    '',
    `After ${CHURN_OVERWRITES.toLocaleString('en-US')} random overwrites of ${INIT_OBJECTS.toLocaleString('en-US')} objects (fresh process, 64 in flight), with ${mib(med('churnValues'))} of live`,
    `values, resident memory gained once garbage is collected: ${mib(med('churnRss-direct'))} through LocalProvider (ArrayBuffers, the`,
    `values: ${mib(med('churnArrayBuffers-direct'))}); through the runtime ${mib(med('churnRss-runtime'))} (${x(churnRatio('runtime'))}: the index lives in the actor's`,
    "worker, whose heap this harness does not collect before it reads, and two threads' allocations).",
    '',
    '| goal | measured | target | met |',
    '|---|---:|---:|---|',
    atLeast('provider + file puts/s at 256 vs etcd', 'file@256', 'etcd@256', 4),
    atLeast('FileBackend alone puts/s at 256 vs etcd', 'direct@256', 'etcd@256', 4),
    atLeast('provider + file puts/s at 256 vs raw group-commit limit (b)', 'file@256', 'log@256', 0.3),
    atLeast('FileBackend alone puts/s at 256 vs raw group-commit limit (b)', 'direct@256', 'log@256', 0.3),
    goal('provider + file p99 put latency at 64 in flight', ms(p99), '≤ 10 ms'),
    goal('FileBackend alone p99 put latency at 64 in flight', ms(directP99), '≤ 10 ms'),
    goal('cold initialize vs JSON.parse of the same bytes', x(initRatio), '≤ 2×'),
    goal('resident memory vs data size, peak or steady', x(memoryRatio), '≤ 2×'),
    goal('resident memory vs data size after random overwrites', x(churnRatio('direct')), '≤ 2×'),
    goal(
      "the same through the runtime (reported beside the goal, which is the file backend's: the row above)",
      x(churnRatio('runtime')),
      '≤ 2×',
    ),
    '',
    'Reading the rows together: through LocalProvider every put is validated and canonically encoded',
    'on the same thread that drives the log. The log overlaps that CPU work with its own writes (a',
    'durable batch is acknowledged in chunks, one event-loop turn each, so the next batch is written',
    'while callers encode), which leaves the CPU cost per put as the limit at 256 in flight: the',
    "memory row is that work's ceiling with no I/O at all. FileBackend.put alone shows the log itself.",
    'Its log is opened O_DSYNC, so a batch is one durable writev, where (b) makes a writev and an',
    'fdatasync (docs/architecture.md, "O_DSYNC log"); in a scratch comparison on this disk (2026-11-30,',
    'outside this benchmark) neither way was consistently faster: whichever ran first won. The etcd',
    'baseline is driven through its v3 JSON gateway, which costs etcd CPU (the row above; at 256 in',
    `flight ${((med('etcd-cpu@256') * med('etcd@256')) / 1e6).toFixed(2)} cores of the machine's 2), and its client shares those cores: etcd runs out of CPU`,
    "before its write-ahead log's fsync limits it, so the ratio to etcd flatters stowage by an amount",
    'this benchmark does not measure. The raw',
    'log (b) writes the same two buffers over and over with no checksums or index, and on this disk it',
    `ran at ${Math.round(med('log@256') / 1000)}k records/s in this run, against the ~100k DESIGN.md measured: the faster it runs, the higher the bar for the 0.3× goal.`,
    'It also moves the most between runs, with the state of the shared disk rather than anything in',
    "the run, so the goal rows give each run's ratio beside the median. On 2026-11-29 it measured 208k",
    'to 420k records/s in runs of this benchmark; a run at 19:00 UTC measured 262k, and a standalone',
    'loop of the same append minutes later 388k to 432k. In a run at about 19:15 UTC, with the raw',
    'log at 375k to 403k throughout, the provider path made about 97k to 103k puts/s, about 0.25×;',
    'the O_DSYNC log (20:44 UTC) left it at 97k, since it is bound by CPU, not by the log. The',
    '0.3× goal is therefore met only while the disk runs at its slower rate, not dependably. At 256',
    'in flight the log writes about 127 records at a time (0.49 to 0.56 ms per O_DSYNC writev, the',
    'disk busy 83% to 84% of the time; FileBackend alone, in a scratch harness), half of the writes in',
    'flight, because one batch is written while the callers of the last produce the next; the',
    'provider path is bound by its CPU per put on the one thread, validation and canonical encoding',
    `first. Measured at 400k, 0.3× means 120k puts/s, ${((120_000 / med('memory@256')) * 100).toFixed(0)}% of the provider layer's ceiling with no I/O`,
    'at all in this run. Every stored',
    'value owns its buffer (docs/architecture.md, "Memory"), which costs the direct path and the open',
    'about 1 µs per value.',
    "p99 is bounded below by the disk's own sync tail (the (b) p99 row) and by the machine's load.",
  ].join('\n');
}
