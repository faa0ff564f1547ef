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

test('idle workers of local backends spin for 200 µs; s3 workers do not; the option overrides both', () => {
  assert.equal(idleSpinFor('file', undefined), 200);
  assert.equal(idleSpinFor('memory', undefined), 200);
  assert.equal(idleSpinFor('s3', undefined), 0);
  assert.equal(idleSpinFor('file', 0), 0);
  assert.equal(idleSpinFor('s3', 50), 50);
});
