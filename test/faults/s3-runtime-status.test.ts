import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { gvk, MachineId, type RuntimeObject, S3Backend, type StowageError } from '../../src/index.js';
import type { RuntimeObserver } from '../../src/runtime/observer.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeObject } from '../helpers/objects.js';
import { acquireRadosgw, type Radosgw, radosgwSkipReason } from '../helpers/radosgw.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
const PROBE_INTERVAL_MS = 300;
const PROBE_TIMEOUT_MS = 2000;

const skip = radosgwSkipReason();
let radosgw: Radosgw;

/** Turns the supervisor's state changes into events a test can await: no polling, no sleeps. */
function stateEvents(): { observer: RuntimeObserver; events: EventEmitter } {
  const events = new EventEmitter();
  const observer: RuntimeObserver = {
    operationCompleted() {},
    queueWaited() {},
    queueRejected() {},
    actorRestarted() {},
    probed() {},
    instanceStateChanged(_store, _backend, up) {
      events.emit(up ? 'up' : 'down', performance.now());
    },
  };
  return { observer, events };
}

describe('s3 through the runtime: radosgw stopped and restarted', { skip }, () => {
  before(async () => {
    radosgw = await acquireRadosgw();
  });
  after(() => radosgw?.release());

  test('status goes down within two probe intervals, comes back after restart, and no acknowledged write is lost', async () => {
    const bucket = await radosgw.createBucket();
    let gateway = await radosgw.startGateway();
    const config = radosgw.config(bucket, {
      endpoint: gateway.endpoint,
      maxAttempts: 2,
      timeouts: { connectMs: 1000, requestMs: 1000, operationMs: PROBE_TIMEOUT_MS },
    });
    const { observer, events } = stateEvents();
    const provider = new RuntimeProvider([{ kind: 's3', ...config }], {
      observer,
      supervisor: {
        probeIntervalMs: PROBE_INTERVAL_MS,
        probeTimeoutMs: PROBE_TIMEOUT_MS,
        probeFailureThreshold: 1,
        backoffBaseMs: 100,
        backoffMaxMs: 500,
        maxRestarts: 1000,
      },
    });
    const [instance] = provider.instances() as [string];
    try {
      await provider.initialize(MachineId.generate());
      assert.equal(provider.instanceStatus(instance).status, true);
      const acknowledged: RuntimeObject[] = [];
      for (let i = 0; i < 20; i++) {
        const object = makeObject({ name: `before-${i}`, namespace: 'load' });
        await provider.putObject(instance, object);
        acknowledged.push(object);
      }

      const down = once(events, 'down');
      const stoppedAt = performance.now();
      await radosgw.stopGateway(gateway);
      const [downAt] = (await down) as [number];
      // Two probe intervals, plus the probe's own deadline as grace for a probe already in flight
      // when the gateway went away (a refused connection fails such a probe in milliseconds).
      assert.ok(
        downAt - stoppedAt <= 2 * PROBE_INTERVAL_MS + PROBE_TIMEOUT_MS,
        `down after ${Math.round(downAt - stoppedAt)} ms`,
      );
      assert.equal(provider.instanceStatus(instance).status, false);
      await assert.rejects(
        provider.putObject(instance, makeObject({ name: 'while-down', namespace: 'load' })),
        (error: unknown) => {
          // Refused at once while the instance is down: it is never queued behind a dead gateway.
          assert.equal((error as StowageError).code, 'STOWAGE_INSTANCE_DOWN', String(error));
          return true;
        },
      );

      const up = once(events, 'up');
      gateway = await radosgw.startGateway(gateway.port);
      await up;
      assert.equal(provider.instanceStatus(instance).status, true);
      for (let i = 0; i < 20; i++) {
        const object = makeObject({ name: `after-${i}`, namespace: 'load' });
        await provider.putObject(instance, object);
        acknowledged.push(object);
      }
      for (const object of acknowledged) {
        assert.deepEqual(
          await provider.getObject(instance, CONFIG_MAP, `load/${object.metadata.name}`),
          object,
        );
      }
    } finally {
      await provider.close();
      await radosgw.stopGateway(gateway);
    }
    // And independently of the runtime, straight from the shared gateway.
    const verifier = new S3Backend(radosgw.config(bucket));
    try {
      let count = 0;
      for await (const record of verifier.list(CONFIG_MAP)) if (record.key.startsWith('load/')) count++;
      assert.ok(count >= 40, `${count} records`);
    } finally {
      await verifier.close();
    }
  });
});
