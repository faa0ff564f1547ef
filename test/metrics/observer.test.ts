import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Registry } from 'prom-client';
import type { RuntimeSnapshot } from '../../src/runtime/observer.js';
import { fakeSnapshot, metricsWithFakeRuntime } from './catalog.js';

/**
 * The value of one series, by its exact labels; undefined when it does not exist. A histogram's
 * buckets are asked for as `<family>_bucket` with an `le` label.
 */
async function value(
  registry: Registry,
  series: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const family = series.replace(/_(bucket|sum|count)$/, '');
  const metric = registry.getSingleMetric(family);
  assert.ok(metric, `${family} is not registered`);
  const want = JSON.stringify(Object.entries(labels).sort());
  const { values } = await metric.get();
  const match = values.find((v) => {
    const name = (v as { metricName?: string }).metricName ?? family;
    return (
      name === series &&
      JSON.stringify(
        Object.entries(v.labels)
          .map(([k, l]) => [k, String(l)])
          .sort(),
      ) === want
    );
  });
  return match?.value;
}

const FILE = { backend: 'file', store: 'file-3fa2c1d0e9ab' } as const;

describe('MetricsObserver', () => {
  test('a success counts one operation and lands in both latency histograms', async () => {
    const metrics = metricsWithFakeRuntime();
    metrics.observer.operationCompleted({ ...FILE, operation: 'put', seconds: 0.003, backendSeconds: 0.001 });
    const r = metrics.registry;
    const put = { ...FILE, operation: 'put' };
    assert.equal(await value(r, 'stowage_operations_total', put), 1);
    assert.equal(await value(r, 'stowage_persist_duration_seconds_bucket', { ...put, le: '0.0025' }), 0);
    assert.equal(await value(r, 'stowage_persist_duration_seconds_bucket', { ...put, le: '0.005' }), 1);
    assert.equal(await value(r, 'stowage_backend_duration_seconds_bucket', { ...put, le: '0.001' }), 1);
    assert.equal(await value(r, 'stowage_operation_failures_total', { ...put, reason: 'queue_full' }), 0);
  });

  test('a duration above the last bucket counts only in +Inf, and in _sum and _count', async () => {
    const metrics = metricsWithFakeRuntime();
    metrics.observer.operationCompleted({ ...FILE, operation: 'delete', seconds: 20 });
    const r = metrics.registry;
    const del = { ...FILE, operation: 'delete' };
    assert.equal(await value(r, 'stowage_persist_duration_seconds_bucket', { ...del, le: '10' }), 0);
    assert.equal(await value(r, 'stowage_persist_duration_seconds_bucket', { ...del, le: '+Inf' }), 1);
    assert.equal(await value(r, 'stowage_persist_duration_seconds_sum', del), 20);
    assert.equal(await value(r, 'stowage_persist_duration_seconds_count', del), 1);
  });

  test('a failure counts by its code and stays out of the latency histograms', async () => {
    const metrics = metricsWithFakeRuntime();
    const o = metrics.observer;
    o.operationCompleted({ ...FILE, operation: 'put', seconds: 0.2, errorCode: 'STOWAGE_QUEUE_FULL' });
    o.operationCompleted({ ...FILE, operation: 'put', seconds: 0.2, errorCode: 'SOMETHING_UNHEARD_OF' });
    const r = metrics.registry;
    const put = { ...FILE, operation: 'put' };
    assert.equal(await value(r, 'stowage_operations_total', put), 2);
    assert.equal(await value(r, 'stowage_operation_failures_total', { ...put, reason: 'queue_full' }), 1);
    assert.equal(await value(r, 'stowage_operation_failures_total', { ...put, reason: 'other' }), 1);
    assert.equal(
      await value(r, 'stowage_operation_failures_total', { ...put, reason: 'something_unheard_of' }),
      undefined,
    );
    assert.equal(await value(r, 'stowage_persist_duration_seconds_bucket', { ...put, le: '+Inf' }), 0);
  });

  test('queue, restart and probe events land in their metrics; unknown restart reasons become other', async () => {
    const metrics = metricsWithFakeRuntime();
    const o = metrics.observer;
    o.queueWaited(FILE.store, FILE.backend, 0.02);
    o.queueRejected(FILE.store, FILE.backend);
    o.actorRestarted(FILE.store, FILE.backend, 'hang');
    o.actorRestarted(FILE.store, FILE.backend, 'cosmic-ray');
    o.probed(FILE.store, FILE.backend, 0.0005, true);
    o.probed(FILE.store, FILE.backend, 3, false);
    const r = metrics.registry;
    assert.equal(await value(r, 'stowage_queue_wait_seconds_bucket', { ...FILE, le: '0.05' }), 1);
    assert.equal(await value(r, 'stowage_queue_rejected_total', FILE), 1);
    assert.equal(await value(r, 'stowage_actor_restarts_total', { ...FILE, reason: 'hang' }), 1);
    assert.equal(await value(r, 'stowage_actor_restarts_total', { ...FILE, reason: 'other' }), 1);
    assert.equal(await value(r, 'stowage_probe_duration_seconds_bucket', { ...FILE, le: '+Inf' }), 2);
    assert.equal(await value(r, 'stowage_probe_failures_total', FILE), 1);
  });

  test('cross-thread clock skew (a negative or NaN duration) is recorded as 0, never thrown', async () => {
    const metrics = metricsWithFakeRuntime();
    assert.doesNotThrow(() => {
      metrics.observer.operationCompleted({
        ...FILE,
        operation: 'get',
        seconds: -0.00001,
        backendSeconds: Number.NaN,
      });
      metrics.observer.queueWaited(FILE.store, FILE.backend, Number.NaN);
    });
    const get = { ...FILE, operation: 'get' };
    assert.equal(
      await value(metrics.registry, 'stowage_persist_duration_seconds_bucket', { ...get, le: '0.0001' }),
      1,
    );
    assert.equal(
      await value(metrics.registry, 'stowage_backend_duration_seconds_bucket', { ...get, le: '0.0001' }),
      1,
    );
  });

  test('an event for a store the snapshot never listed still creates its label sets at zero', async () => {
    const metrics = metricsWithFakeRuntime({ instances: [], workers: 0 });
    metrics.observer.queueRejected('memory-0123456789ab', 'memory');
    const labels = { backend: 'memory', store: 'memory-0123456789ab' };
    assert.equal(
      await value(metrics.registry, 'stowage_operations_total', { ...labels, operation: 'delete' }),
      0,
    );
  });

  test("the last open's torn-tail bytes are a gauge per store, from zero, set again by every open", async () => {
    const metrics = metricsWithFakeRuntime({ instances: [], workers: 0 });
    const read = () => value(metrics.registry, 'stowage_last_open_torn_tail_bytes', FILE);
    metrics.observer.queueRejected(FILE.store, FILE.backend);
    assert.equal(await read(), 0);
    metrics.observer.opened?.(FILE.store, FILE.backend, 130);
    assert.equal(await read(), 130);
    metrics.observer.opened?.(FILE.store, FILE.backend, 0);
    assert.equal(await read(), 0, 'a clean reopen');
  });

  test('the operation label holds the four contract operations only: probes and initializes have metrics of their own', async () => {
    const metrics = metricsWithFakeRuntime({ instances: [], workers: 0 });
    metrics.observer.queueRejected('memory-0123456789ab', 'memory');
    const { values } = await metrics.registry.getSingleMetric('stowage_operations_total')!.get();
    assert.deepEqual(values.map((v) => v.labels.operation).sort(), ['delete', 'get', 'get_all', 'put']);
  });
});

describe('snapshot gauges', () => {
  test('read the runtime at every scrape, and a store that leaves the snapshot leaves the gauges', async () => {
    let snapshot: RuntimeSnapshot = fakeSnapshot();
    const metrics = metricsWithFakeRuntime();
    metrics.watch({ snapshot: () => snapshot });
    const r = metrics.registry;
    const s3 = { backend: 's3', store: 's3-9c0d1e2f3a4b' };
    assert.equal(await value(r, 'stowage_instance_up', FILE), 1);
    assert.equal(await value(r, 'stowage_instance_up', s3), 0);
    assert.equal(await value(r, 'stowage_queue_depth', FILE), 3);
    assert.equal(await value(r, 'stowage_queue_capacity', s3), 256);
    assert.equal(await value(r, 'stowage_operations_in_flight', FILE), 1);
    assert.equal(await value(r, 'stowage_mean_persist_latency_seconds', s3), 0.012);
    assert.equal(await value(r, 'stowage_worker_busy_seconds_total', FILE), 12.5);
    assert.equal(await value(r, 'stowage_pool_workers', {}), 2);

    const [file] = fakeSnapshot().instances;
    assert.ok(file);
    snapshot = { instances: [{ ...file, queueDepth: 7, up: false, busySeconds: 14 }], workers: 1 };
    assert.equal(await value(r, 'stowage_queue_depth', FILE), 7);
    assert.equal(await value(r, 'stowage_instance_up', FILE), 0);
    assert.equal(await value(r, 'stowage_instance_up', s3), undefined);
    assert.equal(await value(r, 'stowage_worker_busy_seconds_total', FILE), 14, 'read again, not added up');
    assert.equal(await value(r, 'stowage_worker_busy_seconds_total', s3), undefined);
  });

  test('a store that first appears in a later snapshot has zeroed counters in that same scrape', async () => {
    let snapshot: RuntimeSnapshot = { instances: [], workers: 0 };
    const metrics = metricsWithFakeRuntime(snapshot);
    metrics.watch({ snapshot: () => snapshot });
    snapshot = fakeSnapshot();
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /^stowage_operations_total\{backend="s3",store="s3-9c0d1e2f3a4b",operation="put"\} 0$/m,
    );
    assert.match(
      text,
      /^stowage_actor_restarts_total\{backend="s3",store="s3-9c0d1e2f3a4b",reason="oom"\} 0$/m,
    );
  });
});
