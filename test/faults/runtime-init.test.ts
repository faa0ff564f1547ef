import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClosedError, InitializeFailedError, MachineId, NotInitializedError } from '../../src/index.js';
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
    assert.deepEqual(h.observer.statesOf(h.faulty), ['down:initialize', 'down:initialize', 'up:up']);
    // Each failed start is reported with its error, so a log shows why the instance is not up.
    const details = h.observer.states.filter((s) => s.store === h.faulty).map((s) => s.detail ?? '');
    assert.match(details[0] ?? '', /^STOWAGE_ERROR: fixture: open attempt 1 fails$/);
    assert.match(details[1] ?? '', /^STOWAGE_ERROR: fixture: open attempt 2 fails$/);
    assert.equal(details[2], '');
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
      ['initialize', 'initialize'],
      'a restart counted for each retry: after the failed initialize, and after the failed first background retry',
    );
    await h.provider.putObject(h.faulty, makeObject({ name: 'late', namespace: 'init' }));
  } finally {
    await h.dispose();
  }
});

test('an open that never finishes is cut off after supervisor.openTimeoutMs, its worker terminated, and the start retried', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'flaky-init-backend',
    // Long enough for a fresh worker to load the fixture under tsx (about 0.3 s), which it includes.
    { supervisor: { initializeAttempts: 1, openTimeoutMs: 2000 } },
    { failures: 1, mode: 'hang' },
  );
  try {
    // One attempt, and it hangs: initialize reports it instead of waiting for ever.
    await assert.rejects(h.provider.initialize(MachineId.generate()), (error: unknown) => {
      assert.ok(error instanceof InitializeFailedError);
      assert.match(error.message, /openTimeoutMs \(2000 ms\)/);
      return true;
    });
    assert.equal(h.provider.instanceStatus(h.faulty).status, false);
    // The background retry's open works.
    await h.observer.until(() => h.provider.instanceStatus(h.faulty).status);
    assert.equal(await readFile(join(h.dir, 'open-attempts'), 'utf8'), '2');
    const object = makeObject({ name: 'a', namespace: 'init' });
    await h.provider.putObject(h.faulty, object);
    assert.deepEqual(await h.provider.getObject(h.faulty, CONFIG_MAP, 'init/a'), object);
  } finally {
    await h.dispose();
  }
});

test('restartInstance during initialize joins the start under way instead of racing it, so the worker that comes up keeps serving', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'flaky-init-backend',
    { supervisor: { initializeAttempts: 3, backoffBaseMs: 300, backoffMaxMs: 300 } },
    { failures: 1 },
  );
  try {
    const initialized = h.provider.initialize(MachineId.generate());
    // The first open has failed: initialize is sleeping before its second attempt.
    await h.observer.until(() => h.observer.restarts.length === 1);
    await h.provider.restartInstance(h.faulty);
    assert.equal(h.provider.instanceStatus(h.faulty).status, true);
    await initialized;
    // Before, initialize's own loop woke after its sleep and replaced the worker restartInstance had
    // started, failing the puts in flight on it with ClosedError.
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (let round = 0; round < 5; round++) {
      const keys = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          h.provider.putObject(h.faulty, makeObject({ name: `o${i}`, namespace: 'init' })),
        ),
      );
      assert.equal(keys.length, 8);
    }
    assert.equal(
      await readFile(join(h.dir, 'open-attempts'), 'utf8'),
      '2',
      'one failed open, one that worked',
    );
    assert.deepEqual(h.observer.statesOf(h.faulty), ['down:initialize', 'up:up']);
  } finally {
    await h.dispose();
  }
});

test('a failed start that restartInstance joined is counted and retried once, by the caller that began it', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'flaky-init-backend',
    { supervisor: { initializeAttempts: 3, backoffBaseMs: 200, backoffMaxMs: 30_000 } },
    { failures: 100 },
  );
  try {
    const initialized = h.provider.initialize(MachineId.generate());
    await h.observer.until(() => h.observer.restarts.length === 1);
    // Joins initialize's start, which fails its third attempt too.
    await assert.rejects(h.provider.restartInstance(h.faulty), InitializeFailedError);
    await assert.rejects(initialized, InitializeFailedError);
    // Two retries within the start, and one for the next start: before, the joined caller counted
    // (and scheduled) that one a second time.
    assert.deepEqual(
      h.observer.restarts.filter((r) => r.store === h.faulty).map((r) => r.reason),
      ['initialize', 'initialize', 'initialize'],
    );
  } finally {
    await h.dispose();
  }
});

test('initialize cut off by close() fails with ClosedError, not as a failed start', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'flaky-init-backend',
    { supervisor: { initializeAttempts: 3, backoffBaseMs: 5_000, backoffMaxMs: 5_000 } },
    { failures: 100 },
  );
  try {
    const initialized = h.provider.initialize(MachineId.generate());
    await h.observer.until(() => h.observer.restarts.length === 1);
    const refused = assert.rejects(initialized, ClosedError);
    await h.provider.close();
    await refused;
  } finally {
    await h.dispose();
  }
});
