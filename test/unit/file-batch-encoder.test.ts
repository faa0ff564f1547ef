import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchEncoder, type BatchRecord, COPY_LIMIT_BYTES } from '../../src/backends/file/batch-encoder.js';
import { decodeBatch, RecordOp, validBatchEnd } from '../../src/backends/file/format.js';

/** Decodes an encoded batch back into records, checking its checksum and framing on the way. */
function decode(buffers: readonly Uint8Array[]): { op: RecordOp; gvk: string; key: string; value: string }[] {
  const bytes = Buffer.concat(buffers);
  assert.equal(validBatchEnd(bytes, 0), bytes.length, 'one whole batch with a matching checksum');
  const records: { op: RecordOp; gvk: string; key: string; value: string }[] = [];
  const wellFormed = decodeBatch(bytes, 0, bytes.length, (op, gvk, key, value) => {
    records.push({ op, gvk, key, value: value.toString('latin1') });
  });
  assert.ok(wellFormed);
  return records;
}

const put = (key: string, value: Buffer): BatchRecord => ({
  op: RecordOp.Put,
  gvk: '/v1/ConfigMap',
  key,
  value,
});

test('a batch of small records, deletes and non-ASCII names is one buffer that decodes to the same records', () => {
  const records: BatchRecord[] = [
    put('default/a', Buffer.from('{"a":1}')),
    { op: RecordOp.Delete, gvk: 'ex.io/v1/Thing', key: 'default/b', value: undefined },
    { op: RecordOp.Put, gvk: 'ex.io/v1/Ünïcode', key: 'ns/名前', value: Buffer.from('"ü"') },
    put('default/empty', Buffer.alloc(0)),
  ];
  const { buffers, bytes } = new BatchEncoder().encode(records);
  assert.equal(buffers.length, 1, 'small values are copied into the batch');
  assert.equal(bytes, buffers[0]!.byteLength);
  assert.deepEqual(decode(buffers), [
    { op: RecordOp.Put, gvk: '/v1/ConfigMap', key: 'default/a', value: '{"a":1}' },
    { op: RecordOp.Delete, gvk: 'ex.io/v1/Thing', key: 'default/b', value: '' },
    {
      op: RecordOp.Put,
      gvk: 'ex.io/v1/Ünïcode',
      key: 'ns/名前',
      value: Buffer.from('"ü"').toString('latin1'),
    },
    { op: RecordOp.Put, gvk: '/v1/ConfigMap', key: 'default/empty', value: '' },
  ]);
});

test('a value of COPY_LIMIT_BYTES or more is written from its own buffer, between the copied parts', () => {
  const large = Buffer.alloc(COPY_LIMIT_BYTES, 'L');
  const justUnder = Buffer.alloc(COPY_LIMIT_BYTES - 1, 'u');
  const { buffers, bytes } = new BatchEncoder().encode([
    put('default/a', Buffer.from('small')),
    put('default/large', large),
    put('default/under', justUnder),
  ]);
  assert.equal(buffers.length, 3);
  assert.equal(buffers[1], large, 'the large value itself, not a copy');
  assert.equal(
    bytes,
    buffers.reduce((sum, b) => sum + b.byteLength, 0),
  );
  assert.deepEqual(
    decode(buffers).map((r) => [r.key, r.value.length]),
    [
      ['default/a', 5],
      ['default/large', COPY_LIMIT_BYTES],
      ['default/under', COPY_LIMIT_BYTES - 1],
    ],
  );
});

test('the encoder reuses its buffer: a smaller batch after a larger one carries none of the earlier bytes', () => {
  const encoder = new BatchEncoder();
  const first = encoder.encode(
    Array.from({ length: 50 }, (_, i) => put(`default/k${i}`, Buffer.alloc(1000, 'a'))),
  );
  assert.equal(decode(first.buffers).length, 50);
  const second = encoder.encode([put('default/only', Buffer.from('b'))]);
  assert.equal(second.buffers[0]!.buffer, first.buffers[0]!.buffer, 'the same memory');
  assert.deepEqual(decode(second.buffers), [
    { op: RecordOp.Put, gvk: '/v1/ConfigMap', key: 'default/only', value: 'b' },
  ]);
  // Growing past the kept buffer still encodes every record.
  const third = encoder.encode(
    Array.from({ length: 200 }, (_, i) => put(`default/g${i}`, Buffer.alloc(2000, 'c'))),
  );
  assert.equal(decode(third.buffers).length, 200);
});
