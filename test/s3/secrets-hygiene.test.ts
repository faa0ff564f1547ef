import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { freePort } from '../../scripts/radosgw/cluster.js';
import {
  gvk,
  LocalProvider,
  MachineId,
  S3Backend,
  type S3BackendConfig,
  StowageError,
  s3InstanceName,
} from '../../src/index.js';
import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeObject } from '../helpers/objects.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
/** A wrong secret that is still distinctive, so a leak of it is findable. */
const WRONG_SECRET = 'wrong-secret-Zq8vX2LmN4pR7tY1wK9bC3dF';

const skip = radosgwSkipReason();
let radosgw: Radosgw;

/** Everything written to stdout, stderr and the console while `body` runs. */
async function captureOutput(body: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const consoleOriginals = methods.map((m) => console[m]);
  const record = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  process.stdout.write = record as typeof process.stdout.write;
  process.stderr.write = record as typeof process.stderr.write;
  for (const m of methods) console[m] = (...args: unknown[]) => record(`${inspect(args)}\n`);
  try {
    await body();
  } finally {
    process.stdout.write = originals.out;
    process.stderr.write = originals.err;
    methods.forEach((m, i) => {
      console[m] = consoleOriginals[i]!;
    });
  }
  return chunks.join('');
}

/** Every rendering of an error someone might log. */
function renderError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const wire = error instanceof StowageError ? JSON.stringify(error.toWire()) : '';
  return [error.message, error.stack, inspect(error, { depth: 10 }), wire].join('\n');
}

describe('s3 secrets hygiene: credentials appear in no log line, error, status or metric', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
  });
  after(() => radosgw?.release());

  test('through the direct path and the runtime, on success and on every kind of failure', async () => {
    const bucket = await radosgw.createBucket();
    const other = radosgw.createUser();
    const secrets = [
      radosgw.state.accessKeyId,
      radosgw.state.secretAccessKey,
      other.accessKeyId,
      other.secretAccessKey,
      WRONG_SECRET,
    ];
    const seen: string[] = [];
    const deadPort = await freePort();
    const configs: S3BackendConfig[] = [
      radosgw.config(bucket),
      radosgw.config(bucket, {
        credentials: { accessKeyId: radosgw.state.accessKeyId, secretAccessKey: WRONG_SECRET },
      }),
      radosgw.config(bucket, {
        credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey },
      }),
      radosgw.config('no-such-bucket-for-hygiene'),
      radosgw.config(bucket, { endpoint: `http://127.0.0.1:${deadPort}`, maxAttempts: 1 }),
    ].map((c, i) => ({ ...c, prefix: `hygiene-${i}` }));
    const output = await captureOutput(async () => {
      const local = new LocalProvider(
        configs.map((c) => ({ name: s3InstanceName(c), backend: new S3Backend(c) })),
      );
      await local.initialize(MachineId.generate()).catch((error) => seen.push(renderError(error)));
      const good = s3InstanceName(configs[0]!);
      await local.putObject(good, makeObject({ name: 'a', namespace: 'default' }));
      await local.getObject(good, CONFIG_MAP, 'default/a');
      seen.push(JSON.stringify(local.instanceStatus(good)), inspect(local, { depth: 20 }));
      await local.close();

      for (const config of configs.slice(1)) {
        const backend = new S3Backend(config);
        seen.push(inspect(backend, { depth: 20, showHidden: true }), JSON.stringify(backend));
        for (const call of [() => backend.probe(), () => backend.get(CONFIG_MAP, 'default/a' as never)]) {
          await call().then(
            () => assert.fail('expected a failure'),
            (error) => seen.push(renderError(error)),
          );
        }
        await backend.close();
      }

      const metrics = new StowageMetrics({ eventLoopDelay: false });
      const runtime = new RuntimeProvider(
        configs.map((c) => ({ kind: 's3' as const, ...c })),
        { observer: metrics.observer, supervisor: { initializeAttempts: 1 } },
      );
      metrics.watch(runtime);
      await runtime.initialize(MachineId.generate()).catch((error) => seen.push(renderError(error)));
      await runtime.putObject(good, makeObject({ name: 'b', namespace: 'default' }));
      for (const name of runtime.instances()) {
        seen.push(JSON.stringify(runtime.instanceStatus(name)));
        await runtime
          .getObject(name, CONFIG_MAP, 'default/b')
          .catch((error) => seen.push(renderError(error)));
      }
      seen.push(
        JSON.stringify(runtime.snapshot()),
        await metrics.registry.metrics(),
        inspect(runtime, { depth: 20, showHidden: true }),
      );
      await runtime.close();
      metrics.stop();
    });
    assert.ok(seen.length > 20, 'failures and statuses were captured');
    assert.ok(seen.some((s) => s.includes('STOWAGE_S3_BAD_CREDENTIALS')));
    for (const secret of secrets) {
      assert.ok(!output.includes(secret), 'a credential reached stdout/stderr/console');
      for (const text of seen)
        assert.ok(!text.includes(secret), `a credential leaked into: ${text.slice(0, 200)}`);
    }
  });
});
