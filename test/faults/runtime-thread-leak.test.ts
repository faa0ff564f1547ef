/**
 * Restarts leave no thread behind. A worker that died of an uncaught error with a large heap exits
 * after its slot destroyed the pool, and piscina 5.3 then started a replacement thread in that
 * abandoned pool, which ran until the process ended: threads, fds and memory grew with every such
 * restart, and close() freed none of them. Threads are counted in /proc (Linux, as CI is).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MachineId } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { faultHarness } from './runtime-harness.js';

/**
 * worker_threads threads (Linux names them WorkerThread), where a leak would show. Only those: V8 and
 * libuv may start a helper thread of their own under load, which is no leak (a full-suite run on a
 * busy machine counted 14 threads against 13).
 */
const threads = () =>
  readdirSync('/proc/self/task').filter((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'WorkerThread';
    } catch {
      return false; // exited meanwhile
    }
  }).length;

/** Waits up to `ms` for the thread count to fall to `most`; returns the last count. */
async function threadsSettle(most: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let count = threads();
  while (count > most && Date.now() < deadline) {
    await sleep(50);
    count = threads();
  }
  return count;
}

test('ten restarts of a worker that threw with a large heap leave no thread behind, before or after close()', {
  timeout: 120_000,
}, async () => {
  const before = threads();
  const h = await faultHarness(
    'throw-backend',
    { supervisor: { maxRestarts: 100, backoffBaseMs: 1, backoffMaxMs: 5 } },
    { hoard: 1_500_000 },
  );
  try {
    await h.provider.initialize(MachineId.generate());
    const up = threads();
    for (let i = 0; i < 10; i++) {
      await assert.rejects(h.provider.putObject(h.faulty, makeObject({ name: 'boom', namespace: 'x' })));
      while (!h.provider.instanceStatus(h.faulty).status) await sleep(10);
    }
    assert.equal(h.observer.restarts.filter((r) => r.reason === 'error').length, 10);
    // Each restart's old thread takes a moment to go; none may stay.
    const settled = await threadsSettle(up, 10_000);
    assert.ok(settled <= up, `${settled} threads, against ${up} when the instances were up`);
  } finally {
    await h.dispose();
  }
  const after = await threadsSettle(before, 10_000);
  assert.ok(after <= before, `${after} threads after close(), against ${before} before`);
});
