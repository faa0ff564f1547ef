import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchingFor, idleSpinFor } from '../../src/runtime/batching.js';

const none = { maxBatchOps: undefined, maxBatchesInFlight: undefined };

test('local backends batch wide with few messages out; s3 batches narrow with many out', () => {
  for (const kind of ['memory', 'file', 'module']) {
    assert.deepEqual(batchingFor(kind, none), { maxBatchOps: 64, maxBatchesInFlight: 4 }, kind);
  }
  assert.deepEqual(batchingFor('s3', none), { maxBatchOps: 4, maxBatchesInFlight: 64 });
});

test('explicit options override the defaults for every kind, one field at a time', () => {
  assert.deepEqual(batchingFor('s3', { maxBatchOps: 16, maxBatchesInFlight: undefined }), {
    maxBatchOps: 16,
    maxBatchesInFlight: 64,
  });
  assert.deepEqual(batchingFor('file', { maxBatchOps: undefined, maxBatchesInFlight: 8 }), {
    maxBatchOps: 64,
    maxBatchesInFlight: 8,
  });
});

test('idle workers of local backends spin for 200 µs while each has a core; s3 workers never; the option overrides', () => {
  // One core for the caller's thread and one for each local worker.
  assert.equal(idleSpinFor('file', undefined, 1, 2), 200);
  assert.equal(idleSpinFor('memory', undefined, 1, 2), 200);
  assert.equal(idleSpinFor('file', undefined, 2, 2), 0, 'two local workers on 2 cores');
  assert.equal(idleSpinFor('file', undefined, 3, 4), 200);
  assert.equal(idleSpinFor('file', undefined, 4, 4), 0);
  assert.equal(idleSpinFor('s3', undefined, 0, 64), 0);
  assert.equal(idleSpinFor('file', 0, 1, 2), 0);
  assert.equal(idleSpinFor('file', 150, 8, 2), 150, 'an explicit window holds on any machine');
  assert.equal(idleSpinFor('s3', 50, 0, 2), 50);
});
