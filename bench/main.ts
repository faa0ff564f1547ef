import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { missingCephBinaries } from '../scripts/radosgw/cluster.js';
import { QUICK_LOOK, readDoc, readRecord, withHead, withPlaceholder, writeDoc } from './doc.js';
import { machine, versions } from './machine.js';
import { type BenchRun, type RunRecord, renderHead } from './report.js';

/**
 * `npm run bench` runs every benchmark below in turn and regenerates docs/benchmarks.md;
 * `npm run bench -- <name> [args]` runs one (any `bench/<name>.ts` exporting `run(args)`).
 *
 * Each benchmark writes its own section of the doc; this entry writes the head (machine, versions,
 * how to reproduce, the last run of each benchmark, and the goals of #3, #4 and #5 with their
 * measured values). A benchmark whose server cannot run here is skipped with a note; one whose
 * module is missing, or that throws, is reported as failed and the others still run. A run that
 * resolves QUICK_LOOK (e.g. `runtime --rounds 1`) wrote no section, so it is not recorded either.
 */

interface Bench {
  readonly name: string;
  /** Why it cannot run on this machine, or undefined when it can. */
  readonly unavailable?: () => string | undefined;
}

const CATALOG: readonly Bench[] = [
  { name: 'file' },
  { name: 'runtime' },
  { name: 's3', unavailable: missingCeph },
  { name: 'secrets' },
];

function missingCeph(): string | undefined {
  const missing = missingCephBinaries();
  return missing.length === 0
    ? undefined
    : `no radosgw here (missing ${missing.join(', ')}; see .ci/apt-packages)`;
}

const modulePath = (name: string) => new URL(`./${name}.ts`, import.meta.url);

/** Notes end up in an HTML comment in the doc, so they must never close it. */
const note = (text: string) => text.replaceAll('-->', '->').split('\n')[0]!.slice(0, 300);

async function runOne(
  name: string,
  args: readonly string[],
  bench?: Bench,
): Promise<BenchRun | typeof QUICK_LOOK> {
  const at = new Date().toISOString();
  const loadAverage = loadavg()[0] ?? 0;
  const started = performance.now();
  const done = (status: BenchRun['status'], text: string): BenchRun => {
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    process.stderr.write(
      `bench ${name}: ${status}${text ? ` (${text})` : ''} after ${seconds.toFixed(0)} s\n`,
    );
    return { status, at, seconds, note: note(text), loadAverage };
  };
  if (!existsSync(modulePath(name))) return done('failed', `bench/${name}.ts is missing`);
  const reason = bench?.unavailable?.();
  if (reason) return done('skipped', reason);
  process.stderr.write(`\n=== bench ${name} ===\n`);
  try {
    const module = (await import(modulePath(name).href)) as { run?: (args: string[]) => Promise<unknown> };
    if (typeof module.run !== 'function') return done('failed', `bench/${name}.ts does not export run()`);
    if ((await module.run([...args])) === QUICK_LOOK) {
      process.stderr.write(`bench ${name}: a quick look, not recorded in docs/benchmarks.md\n`);
      return QUICK_LOOK;
    }
    return done('ran', '');
  } catch (error) {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    return done('failed', (error as Error).message ?? String(error));
  }
}

/** Rewrites the head with this run merged into the record of earlier ones. */
function regenerate(results: RunRecord): void {
  let doc = readDoc();
  const merged: RunRecord = { ...readRecord<RunRecord>(doc, {}), ...results };
  // The catalog's order, then any other benchmark run by name.
  const order = [...CATALOG.map((b) => b.name), ...Object.keys(merged).sort()];
  const runs: RunRecord = Object.fromEntries(
    [...new Set(order)].filter((n) => merged[n]).map((n) => [n, merged[n]!]),
  );
  for (const [name, run] of Object.entries(results)) {
    if (run.status !== 'ran') {
      doc = withPlaceholder(doc, name, `## ${name}\n\nNot measured yet: ${run.status} (${run.note}).`);
    }
  }
  writeDoc(withHead(doc, renderHead(doc, machine(), versions(), runs)));
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name !== undefined && !/^[a-z0-9-]+$/.test(name)) {
    process.stderr.write('usage: npm run bench [-- <name> [args]]   (e.g. file, runtime, s3, secrets)\n');
    return 2;
  }
  if (name !== undefined && !existsSync(modulePath(name))) {
    process.stderr.write(`no benchmark bench/${name}.ts; known: ${CATALOG.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const chosen = name === undefined ? CATALOG : [CATALOG.find((b) => b.name === name) ?? { name }];
  const results: RunRecord = {};
  for (const bench of chosen) {
    const run = await runOne(bench.name, name ? args : [], bench);
    if (run !== QUICK_LOOK) results[bench.name] = run;
  }
  if (Object.keys(results).length === 0) return 0;
  regenerate(results);
  process.stderr.write(`\ndocs/benchmarks.md regenerated; ${summary(results)}\n`);
  return Object.values(results).some((r) => r.status === 'failed') ? 1 : 0;
}

function summary(results: RunRecord): string {
  return Object.entries(results)
    .map(([n, r]) => `${n}: ${r.status}`)
    .join(', ');
}

// Exit explicitly: a benchmark that leaves a socket or timer open must not hold the whole run.
process.exit(await main(process.argv.slice(2)));
