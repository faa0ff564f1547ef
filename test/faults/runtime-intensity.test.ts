import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceDownError, MachineId } from '../../src/index.js';
import { startServer } from '../../src/server/http-server.js';
import { makeObject } from '../helpers/objects.js';
import { assertDied, CONFIG_MAP, faultHarness } from './runtime-harness.js';

test('after R restarts in T seconds the instance stays down until restartInstance(), which the HTTP API serves as POST …/restart', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('exit-backend', { supervisor: { maxRestarts: 2, withinMs: 60_000 } });
  try {
    await h.provider.initialize(MachineId.generate());
    const kept = makeObject({ name: 'kept', namespace: 'intensity' });
    await h.provider.putObject(h.faulty, kept);
    for (let death = 1; death <= 3; death++) {
      await h.observer.until(() => h.provider.instanceStatus(h.faulty).status);
      await h.provider.putObject(h.faulty, makeObject({ name: 'boom', namespace: 'intensity' })).then(
        () => assert.fail('boom must kill the worker'),
        (error: unknown) => assertDied(error, 'exit'),
      );
      await h.observer.until(
        () => h.observer.statesOf(h.faulty).filter((s) => s === 'down:exit').length === death,
      );
    }
    await h.observer.until(() => h.observer.statesOf(h.faulty).includes('down:intensity'));
    assert.deepEqual(h.observer.statesOf(h.faulty), [
      'up:up',
      'down:exit',
      'up:up',
      'down:exit',
      'up:up',
      'down:exit',
      'down:intensity',
    ]);
    assert.equal(h.observer.restarts.length, 2, 'only the restarts within the limit happened');
    assert.equal(h.provider.instanceStatus(h.faulty).status, false);
    const completed = h.observer.completed;
    await assert.rejects(h.provider.getObject(h.faulty, CONFIG_MAP, 'intensity/kept'), InstanceDownError);
    assert.equal(h.observer.completed, completed + 1, 'the refusal is counted as a failed get');
    assert.equal(h.provider.instanceStatus(h.healthy).status, true);

    const server = await startServer({ provider: h.provider, port: 0 });
    try {
      const restart = (instance: string, method = 'POST') =>
        fetch(`${server.url}/api/v1/instances/${instance}/restart`, { method });
      assert.equal((await restart(h.faulty, 'GET')).status, 405);
      assert.equal((await restart('file-000000000000')).status, 404);
      assert.equal(h.provider.instanceStatus(h.faulty).status, false, 'neither of those restarted it');
      const restarted = await restart(h.faulty);
      assert.equal(restarted.status, 200);
      const status = (await restarted.json()) as { exists: boolean; status: boolean };
      assert.deepEqual([status.exists, status.status], [true, true], 'the body is its status, up');
    } finally {
      await server.close();
    }
    assert.equal(h.provider.instanceStatus(h.faulty).status, true);
    assert.deepEqual(await h.provider.getObject(h.faulty, CONFIG_MAP, 'intensity/kept'), kept);
  } finally {
    await h.dispose();
  }
});
