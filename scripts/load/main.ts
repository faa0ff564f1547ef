import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { machine, versions } from '../../bench/machine.js';
import { MachineId } from '../../src/contract/machine-id.js';
import { MetricsServerError } from '../../src/errors/index.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/server.js';
import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { type LoadOptions, parseLoadArgs, SetupError, USAGE, UsageError } from './args.js';
import { Progress } from './progress.js';
import { Recorder } from './recorder.js';
import { renderHtml } from './report/chart.js';
import { buildReport } from './report/model.js';
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
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const json = resolve(
    options.out ?? `loadtest-results/${options.scenario.name}-${options.scenario.backend}-${stamp}.json`,
  );
  return { json, html: json.replace(/(\.json)?$/, '.html') };
}

async function run(options: LoadOptions): Promise<number> {
  const { scenario } = options;
  for (const note of options.ignored) process.stderr.write(`note: ${note}\n`);
  const startedAt = new Date();
  // Ctrl-C or SIGTERM at any point, until the target is closed, removes what the run made (a
  // temporary directory, a radosgw it started), even while the target is still being set up, then
  // exits 128 + the signal's number. Later signals wait for that cleanup instead of cutting it short.
  let target: Target | undefined;
  let interrupted: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted !== undefined) return;
    interrupted = signal === 'SIGINT' ? 130 : 143;
    if (target) void target.close().finally(() => process.exit(interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    target = await openTarget(scenario.backend, options.dir, options.s3);
  } catch (error) {
    if (interrupted !== undefined) process.exit(interrupted);
    throw error;
  } finally {
    if (!target) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  if (interrupted !== undefined) {
    await target.close();
    process.exit(interrupted);
  }
  const metrics = new StowageMetrics();
  let provider: RuntimeProvider | undefined;
  let server: MetricsServer | undefined;
  let progress: Progress | undefined;
  try {
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
    const report = buildReport({
      scenario,
      target: target.where,
      instance,
      startedAt,
      // For startup, throughput is the write phase's; the cold starts are timed on their own.
      loadSeconds: extra.startup?.write.seconds ?? (performance.now() - recorder.startedAt) / 1000,
      preloaded: preload,
      recorder,
      environment: { machine: machine(), versions: versions() },
      metricsUrl: server.url,
      ...extra,
    });
    const files = outputPaths(options, startedAt);
    mkdirSync(dirname(files.json), { recursive: true });
    writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(files.html, renderHtml(report));
    process.stdout.write(renderTable(report, files));
    return report.checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    progress?.stop();
    await provider?.close();
    await server?.close();
    metrics.stop();
    await target.close();
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
