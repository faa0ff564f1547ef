import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActorDiedError, QueueFullError, QueueTimeoutError } from '../../src/index.js';
import { Mailbox, type MailboxConfig } from '../../src/runtime/mailbox.js';

/** A task that stays in flight until the test releases it. */
function gate(): { task: () => Promise<string>; release: (value: string) => void } {
  let release!: (value: string) => void;
  const done = new Promise<string>((resolve) => {
    release = resolve;
  });
  return { task: () => done, release };
}

function mailbox(config: Partial<MailboxConfig>, onRejected = () => {}): Mailbox {
  return new Mailbox(
    { capacity: 2, policy: 'reject', waitMs: 1000, concurrency: 1, ...config },
    'memory-x',
    onRejected,
  );
}

/** Lets promise callbacks run without letting any timer fire. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('mailbox', () => {
  test('policy reject: beyond capacity fails at once with QueueFullError, nothing queued', async () => {
    let rejected = 0;
    const box = mailbox({}, () => rejected++);
    const running = gate();
    const first = box.submit(running.task);
    const queued = [box.submit(async () => 'q1'), box.submit(async () => 'q2')];
    assert.equal(box.depth, 2);
    await assert.rejects(
      box.submit(async () => 'over'),
      (error: unknown) => {
        assert.ok(error instanceof QueueFullError);
        assert.equal(error.details.capacity, 2);
        return true;
      },
    );
    assert.equal(rejected, 1);
    assert.equal(box.depth, 2);
    running.release('first');
    assert.deepEqual(await Promise.all([first, ...queued]), ['first', 'q1', 'q2']);
  });

  test('policy wait: a waiter is admitted when room frees, in FIFO order', async () => {
    const box = mailbox({ policy: 'wait', capacity: 1 });
    const running = gate();
    const order: string[] = [];
    const track = (name: string) => async () => {
      order.push(name);
      return name;
    };
    const first = box.submit(running.task);
    const queued = box.submit(track('queued'));
    const waiterA = box.submit(track('waiter-a'));
    const waiterB = box.submit(track('waiter-b'));
    assert.equal(box.depth, 3);
    running.release('first');
    assert.deepEqual(await Promise.all([first, queued, waiterA, waiterB]), [
      'first',
      'queued',
      'waiter-a',
      'waiter-b',
    ]);
    assert.deepEqual(order, ['queued', 'waiter-a', 'waiter-b']);
  });

  test('policy wait: a waiter admitted for room is not overtaken by a submit made before it enqueued', async () => {
    const box = mailbox({ capacity: 2, policy: 'wait', concurrency: 2 });
    const started: string[] = [];
    const first = gate();
    const second = gate();
    const named = (name: string, wait?: () => Promise<string>, onStart?: () => void) => async () => {
      started.push(name);
      onStart?.();
      return wait ? wait() : name;
    };
    const all: Promise<unknown>[] = [
      box.submit(named('t1', first.task)),
      box.submit(named('t2', second.task)),
    ];
    all.push(box.submit(named('q1')));
    // When q2 starts, room frees for the waiter W; code that runs then submits N, after W.
    all.push(box.submit(named('q2', undefined, () => all.push(box.submit(named('N'))))));
    all.push(box.submit(named('W')));
    first.release('t1');
    second.release('t2');
    while (started.length < 6) await Promise.all([...all]);
    // Before, N took the room W had been promised, in the microtask before W enqueued.
    assert.deepEqual(started, ['t1', 't2', 'q1', 'q2', 'W', 'N']);
  });

  test('policy wait: the deadline passes and the op fails with QueueTimeoutError (mock timers)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let rejected = 0;
    const box = mailbox({ policy: 'wait', capacity: 1, waitMs: 500 }, () => rejected++);
    const running = gate();
    const first = box.submit(running.task);
    const queued = box.submit(async () => 'queued');
    const seen: { error?: unknown } = {};
    const waiter = box
      .submit(async () => 'late')
      .then(
        () => 'admitted',
        (error: unknown) => {
          seen.error = error;
        },
      );
    t.mock.timers.tick(499);
    await settle();
    assert.equal(seen.error, undefined, 'still waiting 1 ms before the deadline');
    t.mock.timers.tick(1);
    await waiter;
    const error = seen.error as unknown;
    assert.ok(error instanceof QueueTimeoutError, String(error));
    assert.equal(error.details.waitMs, 500);
    assert.equal(rejected, 1);
    running.release('first');
    assert.deepEqual(await Promise.all([first, queued]), ['first', 'queued']);
    assert.equal(box.depth, 0);
  });

  test('rejectQueued fails queued ops and waiters with the typed reason; in-flight ops finish', async () => {
    const box = mailbox({ policy: 'wait', capacity: 1 });
    const running = gate();
    const first = box.submit(running.task);
    const queued = box.submit(async () => 'queued');
    const waiting = box.submit(async () => 'waiting');
    const reason = new ActorDiedError('gone', { reason: 'exit' });
    box.rejectQueued(reason);
    await assert.rejects(queued, ActorDiedError);
    await assert.rejects(waiting, ActorDiedError);
    assert.equal(box.depth, 0);
    running.release('first');
    assert.equal(await first, 'first');
  });

  test('drain resolves true once idle and false when the deadline passes first (mock timers)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const box = mailbox({});
    assert.equal(await box.drain(10), true);
    const running = gate();
    const first = box.submit(running.task);
    const stuck = box.drain(100);
    t.mock.timers.tick(100);
    assert.equal(await stuck, false);
    const drained = box.drain(100);
    running.release('done');
    assert.equal(await drained, true);
    assert.equal(await first, 'done');
  });
});
