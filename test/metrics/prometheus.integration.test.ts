import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  EncryptedSecretProvider,
  gvk,
  MachineId,
  observedSecrets,
  type StowageError,
} from '../../src/index.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/server.js';
import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { Keyring } from '../../src/secrets/keyring.js';
import { makeObject } from '../helpers/objects.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';
import { requireBinary, skipWithout } from './binaries.js';
import { alertRules, dashboardQueries, RULES_PATH } from './grafana-files.js';
import { PrometheusServer } from './prometheus-server.js';
import { signalOfCondition, substituteGrafanaVariables } from './promql.js';

/**
 * The whole chain, for real: the actor runtime with a file store and an s3 store (Ceph radosgw on
 * loopback), stowage's standalone metrics server, and Debian's Prometheus scraping it every second
 * with our alert rules loaded. After some load (including a burst the mailbox partly refuses),
 * every dashboard query and every alert's expression must come back from Prometheus's HTTP API
 * with status success and at least one series, and the counts Prometheus holds must equal what the
 * test did. Prometheus is stopped by its PID in `after`.
 *
 * Alert expressions are conditions (`signal > threshold`) that a healthy system rightly leaves
 * empty, so for each alert the test queries the signal on its left, with the comparison and
 * threshold stripped (signalOfCondition). That proves the alert watches series that exist; the
 * thresholds themselves are covered by the promtool unit tests in grafana/alerts/.
 */

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
const ROUNDS = 40;
/** Puts fired at once at the file store; a 4-deep mailbox refuses most of them. */
const BURST = 100;
const skip = radosgwSkipReason() || skipWithout('prometheus');

describe('dashboard and alert queries against a real Prometheus', { skip, timeout: 180_000 }, () => {
  let radosgw: Radosgw;
  let fileDir: string;
  let metrics: StowageMetrics;
  let provider: RuntimeProvider;
  let server: MetricsServer;
  let prometheus: PrometheusServer;
  let stores: string[];
  let expected: { puts: number; rejected: number };

  before(async () => {
    radosgw = await acquireRadosgw();
    const bucket = await radosgw.createBucket();
    fileDir = mkdtempSync(join(tmpdir(), 'stowage-metrics-file-'));
    metrics = new StowageMetrics();
    provider = new RuntimeProvider(
      [
        { kind: 'file', dir: fileDir },
        { kind: 's3', ...radosgw.config(bucket) },
      ],
      {
        observer: metrics.observer,
        // A small mailbox, so the burst in driveLoad() is refused in part: rejections and failures
        // then flow through the real runtime into Prometheus too.
        mailbox: { capacity: 4, concurrency: 2, policy: 'reject' },
        supervisor: { probeIntervalMs: 200 },
      },
    );
    metrics.watch(provider);
    stores = provider.instances();
    // As openStowage does where a keyring is configured (failOneSecretRead).
    metrics.registerSecretStore(stores[0]!, 'file');
    await provider.initialize(MachineId.generate());
    server = await startMetricsServer({ registry: metrics.registry, port: 0 });
    prometheus = await PrometheusServer.start({
      binary: requireBinary('prometheus'),
      target: `127.0.0.1:${server.port}`,
      metricsPath: '/metrics',
      ruleFiles: [fileURLToPath(RULES_PATH)],
    });
  });

  after(async () => {
    await prometheus?.stop();
    await server?.close();
    await provider?.close();
    metrics?.stop();
    await radosgw?.release();
    if (fileDir) rmSync(fileDir, { recursive: true, force: true });
  });

  test('every dashboard query and alert signal returns data', async () => {
    // The first scrape: from here on every later scrape adds a second sample for rate().
    await prometheus.until(
      'the first scrape',
      async () => {
        const up = await prometheus.query('up{job="stowage"} == 1');
        return up.data?.result.length ? true : undefined;
      },
      60_000,
    );

    expected = await driveLoad(provider, stores, metrics);
    // Wait for a scrape that saw all of it: the counter equals exactly what was done.
    await prometheus.until('a scrape after the load', async () => {
      const result = await prometheus.query('sum(stowage_operations_total{operation="put"})');
      return Number(result.data?.result[0]?.value[1]) === expected.puts ? true : undefined;
    });

    const failures: string[] = [];
    const check = async (where: string, promql: string): Promise<void> => {
      const result = await prometheus.query(promql);
      if (result.status !== 'success')
        failures.push(`${where}: ${result.status} ${result.error}\n  ${promql}`);
      else if (!result.data?.result.length) failures.push(`${where}: empty result\n  ${promql}`);
    };
    const queries = dashboardQueries();
    assert.ok(queries.length >= 20);
    for (const query of queries) await check(query.where, substituteGrafanaVariables(query.expr));
    for (const rule of alertRules()) {
      const signal = signalOfCondition(rule.expr);
      assert.ok(signal, `${rule.alert} is not a <signal> <op> <number> condition`);
      await check(`alert ${rule.alert} (signal)`, signal);
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  test('the numbers Prometheus holds are the runtime’s numbers', async () => {
    for (const store of stores) {
      const up = await prometheus.query(`stowage_instance_up{store="${store}"}`);
      assert.equal(up.data?.result[0]?.value[1], '1', `${store} up`);
      // Nothing persists any more, so the last scrape holds exactly instanceStatus()'s mean.
      const mean = await prometheus.query(`stowage_mean_persist_latency_seconds{store="${store}"}`);
      const status = provider.instanceStatus(store);
      assert.ok(status.meanPersistLatency > 0);
      assert.equal(
        Number(mean.data?.result[0]?.value[1]),
        status.meanPersistLatency,
        `${store} mean latency`,
      );
      const backend = await prometheus.query(`sum(stowage_backend_duration_seconds_count{store="${store}"})`);
      assert.ok(Number(backend.data?.result[0]?.value[1]) > 0, `${store}: no worker-measured timings`);
    }
    const [fileStore] = stores as [string];
    assert.ok(expected.rejected > 0, 'the burst was not refused at all');
    const rejected = await prometheus.query(`stowage_queue_rejected_total{store="${fileStore}"}`);
    assert.equal(Number(rejected.data?.result[0]?.value[1]), expected.rejected);
    const failed = await prometheus.query(
      `stowage_operation_failures_total{store="${fileStore}",operation="put",reason="queue_full"}`,
    );
    assert.equal(Number(failed.data?.result[0]?.value[1]), expected.rejected);
    const probes = await prometheus.query('sum(stowage_probe_duration_seconds_count)');
    assert.ok(Number(probes.data?.result[0]?.value[1]) > 0, 'no probe was recorded');
  });

  test('Prometheus loaded every alert rule and evaluates it without error', async () => {
    const data = await prometheus.until('the first rule evaluation', async () => {
      const rules = await prometheus.api<{ groups: { rules: { name: string; health: string }[] }[] }>(
        '/api/v1/rules',
      );
      const all = rules.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    assert.deepEqual(
      data.map((r) => r.name).sort(),
      alertRules()
        .map((r) => r.alert)
        .sort(),
    );
    for (const rule of data) assert.equal(rule.health, 'ok', rule.name);
  });
});

/**
 * Puts, gets, listings and deletes on every store, then a burst of puts at the first (file) store.
 * Returns how many puts were made (acknowledged or refused: both count as operations) and how many
 * the mailbox refused.
 */
async function driveLoad(
  provider: RuntimeProvider,
  stores: readonly string[],
  metrics: StowageMetrics,
): Promise<{ puts: number; rejected: number }> {
  let puts = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      stores.map(async (store) => {
        const object = makeObject({ name: `load-${round}`, namespace: 'metrics' });
        await provider.putObject(store, object);
        puts++;
        assert.ok(await provider.getObject(store, CONFIG_MAP, `metrics/load-${round}`));
        if (round % 4 === 0) await provider.deleteObject(store, CONFIG_MAP, `metrics/load-${round}`);
        if (round % 10 === 0) await provider.getAllObjects(store, CONFIG_MAP);
      }),
    );
  }
  const [fileStore] = stores as [string];
  const burst = await Promise.allSettled(
    Array.from({ length: BURST }, (_, i) =>
      provider.putObject(fileStore, makeObject({ name: `burst-${i}`, namespace: 'metrics' })),
    ),
  );
  puts += BURST;
  let rejected = 0;
  for (const result of burst) {
    if (result.status === 'fulfilled') continue;
    assert.equal((result.reason as StowageError).code, 'STOWAGE_QUEUE_FULL');
    rejected++;
  }
  await failOneSecretRead(provider, fileStore, metrics);
  // The secret's record is a put of its own.
  puts++;
  return { puts, rejected };
}

/**
 * A secret written under one key and read under another of the same id: the record is read, so the
 * runtime counts a get that succeeded, and only stowage_secret_failures_total sees the failure.
 */
async function failOneSecretRead(
  provider: RuntimeProvider,
  store: string,
  metrics: StowageMetrics,
): Promise<void> {
  const keyring = () => Keyring.fromKeys([{ id: 'key1', secret: randomBytes(32) }]);
  const counted = (secrets: EncryptedSecretProvider) =>
    observedSecrets(secrets, (instance, operation, code) => metrics.secretFailed(instance, operation, code));
  await counted(new EncryptedSecretProvider(provider, keyring())).putSecret(
    store,
    'metrics',
    'token',
    'value',
  );
  await assert.rejects(
    counted(new EncryptedSecretProvider(provider, keyring())).getSecret(store, 'metrics', 'token'),
    (error: unknown) => (error as StowageError).code === 'STOWAGE_SECRET_DECRYPT_FAILED',
  );
}
