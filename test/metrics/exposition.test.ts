import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { collectDefaultMetrics, register as globalRegistry, Registry } from 'prom-client';
import { OPERATIONS, RESTART_REASONS } from '../../src/metrics/definitions.js';
import { failureReasons } from '../../src/metrics/failure-reasons.js';
import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import { requireBinary, run, skipWithout } from './binaries.js';
import { fakeSnapshot, metricsWithFakeRuntime } from './catalog.js';

/** A registry that has seen one of everything the runtime reports. */
async function busyExposition(): Promise<string> {
  let sampled!: () => void;
  const firstSample = new Promise<void>((resolve) => {
    sampled = resolve;
  });
  const metrics = new StowageMetrics({ eventLoopDelay: { resolutionMs: 1, onSample: () => sampled() } });
  metrics.watch({ snapshot: () => fakeSnapshot() });
  const observer = metrics.observer;
  const file = { store: 'file-3fa2c1d0e9ab', backend: 'file' } as const;
  observer.operationCompleted({ ...file, operation: 'put', seconds: 0.0004 });
  observer.operationCompleted({
    ...file,
    operation: 'get',
    seconds: 0.0001,
    errorCode: 'STOWAGE_CORRUPT_OBJECT',
  });
  observer.queueWaited(file.store, file.backend, 0.00002);
  observer.queueRejected(file.store, file.backend);
  observer.actorRestarted(file.store, file.backend, 'hang');
  observer.probed(file.store, file.backend, 0.0003, true);
  observer.probed(file.store, file.backend, 2, false);
  await firstSample;
  metrics.stop();
  return metrics.registry.metrics();
}

describe('the exposition', () => {
  test('passes promtool check metrics', { skip: skipWithout('promtool') }, async () => {
    const exposition = await busyExposition();
    assert.match(exposition, /^stowage_event_loop_delay_seconds_count [1-9]/m);
    const result = await run(requireBinary('promtool'), ['check', 'metrics'], exposition);
    assert.equal(result.code, 0, `promtool check metrics:\n${result.stdout}${result.stderr}`);
    assert.equal(result.stdout + result.stderr, '');
  });

  test('promtool check metrics rejects what we avoid: Node default metrics', {
    skip: skipWithout('promtool'),
  }, async () => {
    // The reason StowageMetrics leaves them out; if this ever passes, the doc's claim is stale.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const result = await run(requireBinary('promtool'), ['check', 'metrics'], await registry.metrics());
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /non-counter metrics should not have "_total" suffix/);
  });

  test('uses no instance or job label and names every metric stowage_*', async () => {
    const exposition = await busyExposition();
    const samples = exposition.split('\n').filter((line) => line && !line.startsWith('#'));
    assert.ok(samples.length > 100);
    for (const line of samples) {
      assert.match(line, /^stowage_[a-z_]+(\{|\s)/);
      assert.doesNotMatch(line, /[{,](instance|job)="/);
    }
  });

  test('creates every label set of a store at zero before anything happens', async () => {
    const metrics = metricsWithFakeRuntime();
    const text = await metrics.registry.metrics();
    const labels = 'backend="s3",store="s3-9c0d1e2f3a4b"';
    for (const operation of OPERATIONS) {
      assert.ok(text.includes(`stowage_operations_total{${labels},operation="${operation}"} 0`), operation);
      assert.ok(
        text.includes(`stowage_persist_duration_seconds_count{${labels},operation="${operation}"} 0`),
      );
      for (const reason of failureReasons()) {
        const series = `stowage_operation_failures_total{${labels},operation="${operation}",reason="${reason}"} 0`;
        assert.ok(text.includes(series), series);
      }
    }
    for (const reason of RESTART_REASONS) {
      assert.ok(text.includes(`stowage_actor_restarts_total{${labels},reason="${reason}"} 0`), reason);
    }
    for (const name of [
      'stowage_queue_rejected_total',
      'stowage_probe_failures_total',
      'stowage_queue_wait_seconds_count',
    ]) {
      assert.ok(text.includes(`${name}{${labels}} 0`), name);
    }
  });

  test('the failure reasons include the queue and backend codes and nothing unbounded', () => {
    const reasons = failureReasons();
    assert.ok(reasons.includes('queue_full'));
    assert.ok(reasons.includes('other'));
    for (const reason of reasons) assert.match(reason, /^[a-z0-9_]+$/);
  });

  test('never touches the global registry, and merges into a host registry', async () => {
    metricsWithFakeRuntime();
    assert.equal(
      await globalRegistry.getSingleMetricAsString('stowage_operations_total').catch(() => ''),
      '',
    );
    const host = new Registry();
    collectDefaultMetrics({ register: host });
    const ours = metricsWithFakeRuntime().registry;
    const merged = Registry.merge([host, ours]);
    const text = await merged.metrics();
    assert.match(text, /^stowage_instance_up\{backend="file",store="file-3fa2c1d0e9ab"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(
      text,
      /^stowage_persist_duration_seconds_bucket\{le="\+Inf",backend="file",store="file-3fa2c1d0e9ab",operation="put"\} 0$/m,
    );
    const families = async (r: Registry): Promise<number> => (await r.getMetricsAsJSON()).length;
    assert.equal(await families(merged), (await families(host)) + (await families(ours)));
  });

  test('two StowageMetrics in one process do not collide', () => {
    assert.doesNotThrow(() => {
      metricsWithFakeRuntime();
      metricsWithFakeRuntime();
    });
  });

  test('stowage_build_info carries the package version', async () => {
    const text = await metricsWithFakeRuntime().registry.metrics();
    const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const { version } = JSON.parse(manifest) as { version: string };
    assert.ok(
      text.includes(`stowage_build_info{version="${version}",node_version="${process.versions.node}"} 1`),
      text
        .split('\n')
        .filter((l) => l.startsWith('stowage_build_info'))
        .join('\n'),
    );
  });
});
