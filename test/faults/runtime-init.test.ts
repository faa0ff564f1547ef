import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { InitializeFailedError, MachineId, NotInitializedError } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { CONFIG_MAP, faultHarness } from './runtime-harness.js';

test('initialize retries with backoff: an instance that fails twice then succeeds comes up', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'flaky-init-backend',
    { supervisor: { initializeAttempts: 3 } },
    { failures: 2 },
  );
  const statusAtRetry: boolean[] = [];
  const record = h.observer.actorRestarted.bind(h.observer);
  h.observer.actorRestarted = (store, backend, reason) => {
    statusAtRetry.push(h.provider.instanceStatus(store).status);
    record(store, backend, reason);
  };
  try {
    assert.equal(h.provider.instanceStatus(h.faulty).status, false, 'down before initialize');
    await h.provider.initialize(MachineId.generate());
    assert.equal(h.provider.instanceStatus(h.faulty).status, true, 'up after initialize');
    assert.deepEqual(h.observer.restarts, [
      { store: h.faulty, reason: 'initialize' },
      { store: h.faulty, reason: 'initialize' },
    ]);
    assert.deepEqual(statusAtRetry, [false, false], 'down while retrying');
    assert.equal(await readFile(join(h.dir, 'open-attempts'), 'utf8'), '3');
    assert.deepEqual(h.observer.statesOf(h.faulty), ['up:up']);
    const object = makeObject({ name: 'a', namespace: 'init' });
    await h.provider.putObject(h.faulty, object);
    assert.deepEqual(await h.provider.getObject(h.faulty, CONFIG_MAP, 'init/a'), object);
  } finally {
    await h.dispose();
  }
});

test('initialize names the instance that failed; the others serve, and the supervisor keeps retrying it', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'flaky-init-backend',
    { supervisor: { initializeAttempts: 1 } },
    { failures: 2 },
  );
  try {
    await assert.rejects(h.provider.initialize(MachineId.generate()), (error: unknown) => {
      assert.ok(error instanceof InitializeFailedError);
      assert.equal(error.details.instances, h.faulty);
      return true;
    });
    await h.provider.putObject(h.healthy, makeObject({ name: 'served', namespace: 'init' }));
    assert.equal(h.provider.instanceStatus(h.healthy).status, true);
    await assert.rejects(
      h.provider.putObject(h.faulty, makeObject({ name: 'early', namespace: 'init' })),
      NotInitializedError,
    );

    await h.observer.until(() => h.observer.statesOf(h.faulty).includes('up:up'));
    assert.equal(h.provider.instanceStatus(h.faulty).status, true);
    assert.equal(await readFile(join(h.dir, 'open-attempts'), 'utf8'), '3');
    assert.deepEqual(
      h.observer.restarts.map((r) => r.reason),
      ['initialize'],
      'one background retry failed before the one that succeeded',
    );
    await h.provider.putObject(h.faulty, makeObject({ name: 'late', namespace: 'init' }));
  } finally {
    await h.dispose();
  }
});
