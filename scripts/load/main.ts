import { existsSync, writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { machine, versions } from '../../bench/machine.js';
import { makeDirectories } from '../../src/backends/file/make-directories.js';
import { MachineId } from '../../src/contract/machine-id.js';
import { MetricsServerError } from '../../src/errors/index.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/server.js';
import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { type LoadOptions, parseLoadArgs, SetupError, USAGE, UsageError } from './args.js';
import { Progress } from './progress.js';
import { Recorder } from './recorder.js';
import { renderHtml } from './report/chart.js';
import { buildReport, runVersions } from './report/model.js';
import { renderTable } from './report/table.js';
import { type RunContext, runShape, writeKeys } from './runners.js';
import { openTarget, type Target } from './target.js';
import { Keyspace, needsPreload } from './workload.js';

/**
 * `npm run loadtest -- --scenario <name> [options]` (USAGE in args.ts; docs/load-testing.md).
 *
 *   args + preset ─▶ target (memory | file dir | s3 bucket, radosgw started if needed)
 *   RuntimeProvider ◀─ StowageMetrics ─▶ /metrics on 127.0.0.1 while the run lasts
 *   preload keyspace ─▶ driver (closed loop | fixed rate | ramp | bursts | startup) ─▶ Recorder
 *   Progress: one line a second on stderr ─▶ report: table on stdout, JSON + HTML chart on disk
 *
 * Exits 0 when every check of the report passed, 1 when one failed, 2 on bad usage.
 */

const DEFAULT_METRICS_PORT = 9465;
const PRELOAD_CONCURRENCY = 256;

async function serveMetrics(metrics: StowageMetrics, port: number | undefined): Promise<MetricsServer> {
  try {
    return await startMetricsServer({ registry: metrics.registry, port: port ?? DEFAULT_METRICS_PORT });
  } catch (error) {
    // The default port is a convenience for a static Prometheus config; a busy one is no reason to fail.
    const busy = error instanceof MetricsServerError && error.details.cause === 'EADDRINUSE';
    if (port !== undefined && error instanceof MetricsServerError) {
      throw new SetupError(`--metrics-port ${port}: ${error.message}`);
    }
    if (!busy) throw error;
    process.stderr.write(`port ${DEFAULT_METRICS_PORT} is busy; serving metrics on a free port instead\n`);
    return startMetricsServer({ registry: metrics.registry, port: 0 });
  }
}

function outputPaths(options: LoadOptions, startedAt: Date): { json: string; html: string } {
  // To the millisecond, so two runs started in the same second do not write one report.
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace('T', '-')
    .replace('.', '-')
    .replace('Z', '');
  const json = resolve(
    options.out ?? `loadtest-results/${options.scenario.name}-${options.scenario.backend}-${stamp}.json`,
  );
  return { json, html: json.replace(/(\.json)?$/, '.html') };
}

/** Makes the report's directory before any load, so a bad `--out` costs no run. */
async function prepareOutput(options: LoadOptions, startedAt: Date): Promise<{ json: string; html: string }> {
  const files = outputPaths(options, startedAt);
  try {
    await makeDirectories(dirname(files.json), 0o755);
  } catch (error) {
    throw new SetupError(`--out ${files.json}: cannot make its directory: ${(error as Error).message}`);
  }
  // Opened now, so a path that is a directory or not writable fails before the load, not after it
  // with the report lost; a file made only for the check is removed again.
  for (const file of [files.json, files.html]) {
    const existed = existsSync(file);
    try {
      await (await open(file, 'a')).close();
    } catch (error) {
      throw new SetupError(`--out ${file}: cannot write it: ${(error as Error).message}`);
    }
    if (!existed) await rm(file, { force: true });
  }
  return files;
}

async function run(options: LoadOptions): Promise<number> {
  const { scenario } = options;
  for (const note of options.ignored) process.stderr.write(`note: ${note}\n`);
  const startedAt = new Date();
  const files = await prepareOutput(options, startedAt);
  let target: Target | undefined;
  let metrics: StowageMetrics | undefined;
  let provider: RuntimeProvider | undefined;
  let server: MetricsServer | undefined;
  let progress: Progress | undefined;
  // One cleanup, whichever comes first, the end of the run or a signal; a second caller waits for
  // it. The provider closes first, so the load stops before the target (a radosgw) goes away.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      progress?.stop();
      await provider?.close();
      await server?.close();
      metrics?.stop();
      await target?.close();
    })());
  // Ctrl-C or SIGTERM at any point removes what the run made (a temporary directory, a radosgw it
  // started), even while the target is still being set up, writes no report, then exits 128 + the
  // signal's number. Later signals wait for that cleanup instead of cutting it short.
  let interrupted: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted !== undefined) return;
    interrupted = signal === 'SIGINT' ? 130 : 143;
    if (target) void cleanup().finally(() => process.exit(interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      target = await openTarget(scenario.backend, options.dir, options.s3);
    } catch (error) {
      if (interrupted !== undefined) process.exit(interrupted);
      throw error;
    }
    // A signal during the open found no target to close: close it now.
    if (interrupted !== undefined) {
      await cleanup();
      process.exit(interrupted);
    }
    metrics = new StowageMetrics();
    provider = new RuntimeProvider([target.config], {
      mailbox: { capacity: scenario.mailboxCapacity },
      observer: metrics.observer,
    });
    metrics.watch(provider);
    server = await serveMetrics(metrics, options.metricsPort);
    process.stderr.write(`metrics: ${server.url}\n`);
    await provider.initialize(MachineId.generate());
    const instance = provider.instances()[0]!;
    const keyspace = new Keyspace(scenario.keys, scenario.objects);
    const load = scenario.load;
    const preload = 'mix' in load && needsPreload(load.mix) ? scenario.keys : 0;
    if (preload > 0) {
      process.stderr.write(`preloading ${preload} objects…\n`);
      await writeKeys(provider, instance, keyspace, preload, PRELOAD_CONCURRENCY);
    }
    const recorder = new Recorder();
    const live = provider;
    progress = new Progress(recorder, () => live, options.progress);
    const ctx: RunContext = {
      provider,
      instance,
      keyspace,
      recorder,
      progress,
      target,
      mailboxCapacity: scenario.mailboxCapacity,
      observer: metrics.observer,
    };
    progress.start(load.shape === 'open' || load.shape === 'closed' ? scenario.name : load.shape);
    const extra = await runShape(ctx, load);
    progress.stop();
    // Interrupted: what failed after the signal was the cleanup, not the store.
    if (interrupted !== undefined) return interrupted;
    const report = buildReport({
      scenario,
      target: target.where,
      instance,
      startedAt,
      // For startup, throughput is the write phase's; the cold starts are timed on their own.
      loadSeconds: extra.startup?.write.seconds ?? (performance.now() - recorder.startedAt) / 1000,
      preloaded: preload,
      recorder,
      environment: { machine: machine(), versions: runVersions(versions(), scenario.backend) },
      metricsUrl: server.url,
      ...extra,
    });
    writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(files.html, renderHtml(report));
    process.stdout.write(renderTable(report, files));
    return report.checks.every((c) => c.ok) ? 0 : 1;
  } catch (error) {
    // A signal's cleanup makes the run's own calls fail; that is the signal, not an error.
    if (interrupted !== undefined) return interrupted;
    throw error;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

try {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${USAGE}\n`);
  else process.exitCode = await run(parseLoadArgs(argv));
} catch (error) {
  if (error instanceof UsageError) process.stderr.write(`${error.message}\n\n${USAGE}\n`);
  else if (error instanceof SetupError) process.stderr.write(`${error.message}\n`);
  else throw error;
  process.exitCode = 2;
}
