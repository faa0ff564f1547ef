import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { FileBackend, MachineId, MemoryBackend, type ObjectKey } from '../../src/index.js';
import { encodeObject } from '../../src/objects/codec.js';
import { ownedBytes, utf8Owned } from '../../src/objects/owned-bytes.js';
import { readBody } from '../../src/server/body.js';
import { makeObject } from '../helpers/objects.js';

const owns = (bytes: Uint8Array) => bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };

test('utf8Owned encodes into a buffer of its own, non-ASCII included', () => {
  for (const text of ['', 'small', 'é€😀'.repeat(100)]) {
    const bytes = utf8Owned(text);
    assert.ok(owns(bytes), JSON.stringify(text.slice(0, 10)));
    assert.deepEqual(bytes, Buffer.from(text));
  }
  // A pooled Buffer.from is exactly what it replaces: a view into a shared chunk.
  assert.ok(!owns(Buffer.from('small')));
});

test('ownedBytes keeps an owned buffer as it is and copies a view out of a larger one', () => {
  const owned = utf8Owned('owned');
  assert.equal(ownedBytes(owned), owned);
  const pooled = Buffer.from('pooled');
  const copy = ownedBytes(pooled);
  assert.ok(owns(copy));
  assert.notEqual(copy.buffer, pooled.buffer);
  assert.deepEqual(Buffer.from(copy), pooled);
  const chunk = Buffer.alloc(1024, 7);
  assert.deepEqual([...ownedBytes(chunk.subarray(10, 13))], [7, 7, 7]);
});

test('encodeObject produces owned bytes', () => {
  assert.ok(owns(encodeObject(makeObject({ name: 'a', namespace: 'x' })).bytes));
});

test('the file index keeps owned values: after a put of a pooled view, and after a reopen', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-owned-'));
  const key = 'x/a' as ObjectKey;
  try {
    const backend = new FileBackend(dir);
    await backend.open(MachineId.generate());
    const pooled = Buffer.from('{"kept":"as a view"}');
    await backend.put(CONFIG_MAP, key, pooled);
    const stored = (await backend.get(CONFIG_MAP, key))!;
    assert.ok(owns(stored), 'after the put');
    assert.deepEqual(Buffer.from(stored), pooled);
    await backend.close();
    // Recovery reads values out of a file chunk; the index must not keep views into it.
    const reopened = new FileBackend(dir);
    await reopened.open(MachineId.generate());
    const recovered = (await reopened.get(CONFIG_MAP, key))!;
    assert.ok(owns(recovered), 'after a reopen');
    assert.deepEqual(Buffer.from(recovered), pooled);
    await reopened.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the memory backend keeps owned bytes as given and copies a view out of its buffer', async () => {
  const backend = new MemoryBackend();
  await backend.open();
  const owned = utf8Owned('{"owned":true}');
  await backend.put(CONFIG_MAP, 'x/a' as ObjectKey, owned);
  assert.equal(await backend.get(CONFIG_MAP, 'x/a' as ObjectKey), owned);
  const pooled = Buffer.from('{"pooled":true}');
  await backend.put(CONFIG_MAP, 'x/b' as ObjectKey, pooled);
  const stored = (await backend.get(CONFIG_MAP, 'x/b' as ObjectKey))!;
  assert.ok(owns(stored));
  assert.deepEqual(Buffer.from(stored), pooled);
});

test("an HTTP request body (a secret's value, on the secret routes) is read into a buffer of its own", async () => {
  const chunks = [Buffer.from('hunter2-'), Buffer.from('http-body')];
  const request = Object.assign(Readable.from(chunks), { headers: {} }) as unknown as IncomingMessage;
  const body = await readBody(request, 1024);
  assert.equal(body.toString(), 'hunter2-http-body');
  // Buffer.concat's result was a slice of the shared pool, beside other buffers.
  assert.ok(owns(body));
});
