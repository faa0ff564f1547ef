import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  gvk,
  MachineId,
  makeObjectKey,
  S3Backend,
  S3TimeoutError,
  S3UnreachableError,
} from '../../src/index.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
const WRITERS = 4;
const KEYS_PER_WRITER = 5;
const OPERATION_MS = 4000;
/** Scheduling slack on a loaded 2-core machine; the bound under test is OPERATION_MS. */
const SLACK_MS = 3000;

const skip = radosgwSkipReason();

/** A backend that reaches the bucket through a gateway this test stops, with tight timeouts. */
function throughGateway(bucket: string, endpoint: string): S3Backend {
  return new S3Backend(
    radosgw.config(bucket, {
      endpoint,
      maxAttempts: 2,
      timeouts: { connectMs: 1000, requestMs: 2000, operationMs: OPERATION_MS },
    }),
  );
}
let radosgw: Radosgw;

type Phase = 'before' | 'stopped' | 'restarted';

describe('s3: radosgw stopped in the middle of a load', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
  });
  after(() => radosgw?.release());

  test('operations fail fast with typed errors, writes resume after restart, no acknowledged write is lost', async () => {
    const bucket = await radosgw.createBucket();
    let gateway = await radosgw.startGateway();
    const backend = throughGateway(bucket, gateway.endpoint);
    await backend.open(MachineId.generate());

    let phase: Phase = 'before';
    const acked = new Map<string, number>();
    const successes: Record<Phase, number> = { before: 0, stopped: 0, restarted: 0 };
    const failures: Error[] = [];
    let slowest = 0;
    let stopping: Promise<void> | undefined;

    const writer = async (w: number) => {
      for (let version = 1; version <= 3000; version++) {
        if (phase === 'restarted' && successes.restarted >= 40) return;
        const key = makeObjectKey('load', `w${w}-k${version % KEYS_PER_WRITER}`);
        const startedIn = phase;
        const started = performance.now();
        try {
          await backend.put(CONFIG_MAP, key, Buffer.from(JSON.stringify({ w, version })));
          acked.set(key, version);
          successes[startedIn]++;
        } catch (error) {
          failures.push(error as Error);
          assert.ok(
            error instanceof S3UnreachableError || error instanceof S3TimeoutError,
            `typed error, got ${error}`,
          );
        }
        slowest = Math.max(slowest, performance.now() - started);
        if (phase === 'before' && successes.before >= 60 && !stopping) {
          // Stop the gateway under load: the other writers have requests in flight right now.
          stopping = radosgw.stopGateway(gateway).then(() => {
            phase = 'stopped';
          });
        }
        if (phase === 'stopped' && failures.length >= 2 * WRITERS && stopping) {
          const port = gateway.port;
          stopping = undefined;
          gateway = await radosgw.startGateway(port);
          phase = 'restarted';
        }
        if (stopping) await stopping;
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    assert.ok(failures.length >= 2 * WRITERS, `${failures.length} operations failed while radosgw was down`);
    assert.ok(slowest < OPERATION_MS + SLACK_MS, `slowest operation took ${slowest} ms`);
    assert.ok(successes.restarted >= 40, 'writes resumed after the restart');
    await assert.doesNotReject(backend.probe());

    // Every acknowledged write is there (or a later, unacknowledged one replaced it), read back
    // through the shared gateway so nothing is served from the restarted one's state.
    const verifier = new S3Backend(radosgw.config(bucket));
    try {
      for (const [key, version] of acked) {
        const bytes = await verifier.get(CONFIG_MAP, key as never);
        assert.ok(bytes, `${key} exists`);
        const stored = JSON.parse(Buffer.from(bytes).toString()) as { version: number };
        assert.ok(stored.version >= version, `${key}: stored v${stored.version}, acknowledged v${version}`);
      }
      assert.equal(acked.size, WRITERS * KEYS_PER_WRITER);
    } finally {
      await verifier.close();
      await backend.close();
      await radosgw.stopGateway(gateway);
    }
  });

  test('probe fails with a typed error while the gateway is down and passes once it is back', async () => {
    const bucket = await radosgw.createBucket();
    let gateway = await radosgw.startGateway();
    const backend = throughGateway(bucket, gateway.endpoint);
    try {
      await backend.open(MachineId.generate());
      await backend.probe();
      await radosgw.stopGateway(gateway);
      await assert.rejects(backend.probe(), S3UnreachableError);
      gateway = await radosgw.startGateway(gateway.port);
      await backend.probe();
    } finally {
      await backend.close();
      await radosgw.stopGateway(gateway);
    }
  });
});
