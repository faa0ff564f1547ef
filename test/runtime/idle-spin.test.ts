import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { IdleSpin, nextRequestCount } from '../../src/runtime/host/idle-spin.js';

// Windows are long (100 ms) so that spinning and not spinning differ by far more than a loaded
// machine's scheduling noise; the production window is 200 µs.
const WINDOW_MS = 100;

function counter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Runs one request through `spin` and returns how long the event loop stayed blocked after it. */
async function blockedAfterRequest(
  spin: IdleSpin,
  posted: Int32Array | undefined,
  operations = 1,
): Promise<number> {
  if (posted) Atomics.add(posted, 0, 1);
  const started = performance.now();
  spin.started(operations);
  spin.finished();
  await new Promise((resolve) => setImmediate(resolve));
  return performance.now() - started;
}

test('an idle worker polls for the whole window while no request is posted', async () => {
  const posted = counter();
  const blocked = await blockedAfterRequest(new IdleSpin(posted, WINDOW_MS), posted);
  assert.ok(blocked >= WINDOW_MS, `blocked ${blocked} ms`);
});

test('the spin ends as soon as the main thread posts the next request', async () => {
  const posted = counter();
  const spin = new IdleSpin(posted, 10 * WINDOW_MS);
  // Another thread posts 20 ms into the spin, as the main thread would.
  const poster = new Worker(
    `const { workerData } = require('node:worker_threads');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
     Atomics.add(workerData, 0, 1);`,
    { eval: true, workerData: posted },
  );
  await new Promise((resolve) => poster.once('online', resolve));
  const blocked = await blockedAfterRequest(spin, posted);
  await new Promise((resolve) => poster.once('exit', resolve));
  assert.equal(Atomics.load(posted, 0), 2);
  assert.ok(blocked < 5 * WINDOW_MS, `blocked ${blocked} ms of a ${10 * WINDOW_MS} ms window`);
});

test('no spin when a request is already waiting, after a long idle gap, or when turned off', async () => {
  const waiting = counter();
  Atomics.store(waiting, 0, 1);
  assert.ok((await blockedAfterRequest(new IdleSpin(waiting, WINDOW_MS), waiting)) < WINDOW_MS / 2);

  const posted = counter();
  const sparse = new IdleSpin(posted, WINDOW_MS);
  assert.ok((await blockedAfterRequest(sparse, posted)) >= WINDOW_MS, 'back to back so far: spins');
  await sleep(3 * WINDOW_MS);
  assert.ok(
    (await blockedAfterRequest(sparse, posted)) < WINDOW_MS / 2,
    'after a gap longer than two windows',
  );

  assert.ok((await blockedAfterRequest(new IdleSpin(posted, 0), posted)) < WINDOW_MS / 2, 'window 0');
  assert.ok((await blockedAfterRequest(new IdleSpin(undefined, WINDOW_MS), undefined)) < WINDOW_MS / 2);
});

test('no spin while another request is still running in the worker', async () => {
  const posted = counter();
  const spin = new IdleSpin(posted, WINDOW_MS);
  Atomics.add(posted, 0, 2);
  const started = performance.now();
  spin.started(1);
  spin.started(1);
  spin.finished();
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(performance.now() - started < WINDOW_MS / 2);
  // A request already posted, so the last finish leaves no spin behind to block the next test.
  Atomics.add(posted, 0, 1);
  spin.finished();
});

test('no spin after a request of more than 4 operations: full messages keep the worker busy anyway', async () => {
  const posted = counter();
  const spin = new IdleSpin(posted, WINDOW_MS);
  assert.ok((await blockedAfterRequest(spin, posted, 4)) >= WINDOW_MS, '4 operations: spins');
  assert.ok((await blockedAfterRequest(spin, posted, 5)) < WINDOW_MS / 2, '5 operations');
  assert.ok((await blockedAfterRequest(spin, posted, 1)) >= WINDOW_MS, 'small again: spins again');
});

test("the worker's request count wraps where the main thread's Int32Array counter does", () => {
  const posted = counter();
  for (const start of [0, 41, 0x7ffffffe, 0x7fffffff, -1]) {
    Atomics.store(posted, 0, start);
    Atomics.add(posted, 0, 1);
    assert.equal(nextRequestCount(start), Atomics.load(posted, 0), `after ${start}`);
  }
});
