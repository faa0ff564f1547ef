import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Batcher } from '../../src/runtime/batcher.js';
import type { OpReply, OpRequest } from '../../src/runtime/protocol.js';
import { makeObject } from '../helpers/objects.js';

/** A batcher whose sends are recorded and answered only when the test says so. */
function recording(maxBatchOps: number, maxBatchesInFlight: number) {
  const sent: OpRequest[][] = [];
  const answers: (() => void)[] = [];
  const batcher = new Batcher({ maxBatchOps, maxBatchesInFlight }, (ops) => {
    sent.push(ops);
    return new Promise<readonly OpReply[]>((resolve) => {
      answers.push(() => resolve(ops.map(() => ({ ok: true, value: undefined, seconds: 0 }))));
    });
  });
  return { batcher, sent, answers };
}

/** How many operations each batch sent so far carried. */
const sizes = (sent: OpRequest[][]) => sent.map((ops) => ops.length);

const get = (i: number): OpRequest => ({
  op: 'get',
  order: `k${i}`,
  gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
  key: `x/k${i}`,
});
const put = (i: number): OpRequest => ({ op: 'put', order: `p${i}`, object: makeObject({ name: `p${i}` }) });

test('a full batch leaves at once; a partial one at the end of the turn', async () => {
  const { batcher, sent } = recording(4, 2);
  for (let i = 0; i < 6; i++) void batcher.push(get(i));
  assert.deepEqual(sizes(sent), [4], 'the first four left within the turn that submitted them');
  await nextTurn();
  assert.deepEqual(sizes(sent), [4, 2]);
});

test('batches in flight are capped; what waits leaves together when one returns', async () => {
  const { batcher, sent, answers } = recording(4, 1);
  const replies = Array.from({ length: 7 }, (_, i) => batcher.push(get(i)));
  await nextTurn();
  assert.deepEqual(sizes(sent), [4]);
  answers[0]!();
  // The reply settles in a microtask, which schedules the next batch for the turn after.
  await nextTurn();
  await nextTurn();
  assert.deepEqual(sizes(sent), [4, 3]);
  answers[1]!();
  assert.equal((await Promise.all(replies)).length, 7);
});

test('a batch carries at most one object to structured-clone, and no other batch leaves while it is out', async () => {
  const { batcher, sent, answers } = recording(64, 8);
  const ops = [put(0), get(1), get(2), put(3), put(4), get(5)];
  const replies = ops.map((op) => batcher.push(op));
  assert.equal(sent.length, 0, 'no batch was full');
  const orders = () => sent.map((batch) => batch.map((op) => ('order' in op ? op.order : op.op)));
  for (let turn = 0; turn < 4; turn++) await nextTurn();
  assert.deepEqual(orders(), [['p0', 'k1', 'k2']], 'the rest waits, though 8 batches may be out');
  for (let reply = 0; reply < 2; reply++) {
    answers[reply]!();
    for (let turn = 0; turn < 3; turn++) await nextTurn();
  }
  assert.deepEqual(orders(), [['p0', 'k1', 'k2'], ['p3'], ['p4', 'k5']]);
  answers[2]!();
  assert.equal((await Promise.all(replies)).length, 6);
});

test('a batch is full at half the operations outstanding when a reply came, so two batches alternate', async () => {
  const { batcher, sent, answers } = recording(64, 4);
  const first = Array.from({ length: 8 }, (_, i) => batcher.push(get(i)));
  await nextTurn();
  assert.deepEqual(
    sizes(sent),
    [8],
    'at first only maxBatchOps (64) is full: 8 leave at the end of the turn',
  );
  answers[0]!();
  await Promise.all(first);
  // 8 were outstanding when the reply came, so 4 now make a full batch: two leave within this turn.
  for (let i = 8; i < 16; i++) void batcher.push(get(i));
  assert.deepEqual(sizes(sent), [8, 4, 4]);
});
