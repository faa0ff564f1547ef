import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkGvk,
  fromWireError,
  gvk,
  InvalidGvkError,
  InvalidKeyError,
  identify,
  MemoryBackend,
  ObjectStore,
  ObjectTooLargeError,
  ReservedGroupError,
  SecretCorruptError,
  SecretDecryptFailedError,
} from '../../src/index.js';
import { SECRET_GVK } from '../../src/secrets/record.js';

describe('the reserved group', () => {
  test('identify() refuses objects in it or a subdomain of it', () => {
    for (const apiVersion of ['internal.stowage.io/v1', 'a.internal.stowage.io/v1']) {
      assert.throws(
        () => identify({ apiVersion, kind: 'EncryptedSecret', metadata: { name: 'x', namespace: 'ns' } }),
        ReservedGroupError,
      );
    }
  });

  test('checkGvk() refuses it; look-alike groups are ordinary groups', () => {
    assert.throws(() => checkGvk(SECRET_GVK), ReservedGroupError);
    assert.throws(() => checkGvk(gvk('x.internal.stowage.io', 'v1', 'K')), ReservedGroupError);
    for (const group of ['xinternal.stowage.io', 'internal.stowage.io.evil', 'stowage.io']) {
      assert.equal(checkGvk(gvk(group, 'v1', 'K')).group, group);
    }
  });

  test('the store object API refuses it, even on a stored record', async () => {
    const store = new ObjectStore(new MemoryBackend());
    await store.putRecord(SECRET_GVK, 'ns/x', Buffer.from('{}'));
    await assert.rejects(store.get(SECRET_GVK, 'ns/x'), ReservedGroupError);
    await assert.rejects(store.getAll(SECRET_GVK), ReservedGroupError);
    await assert.rejects(store.delete(SECRET_GVK, 'ns/x'), ReservedGroupError);
    assert.deepEqual(await store.getRecord(SECRET_GVK, 'ns/x'), new Uint8Array(Buffer.from('{}')));
  });
});

describe('the record channel', () => {
  test('accepts only reserved-group GVKs, so it cannot write among plain objects', async () => {
    const store = new ObjectStore(new MemoryBackend());
    const configMaps = gvk('', 'v1', 'ConfigMap');
    await assert.rejects(store.putRecord(configMaps, 'ns/x', Buffer.from('{}')), InvalidGvkError);
    await assert.rejects(store.getRecord(configMaps, 'ns/x'), InvalidGvkError);
    await assert.rejects(store.deleteRecord(configMaps, 'ns/x'), InvalidGvkError);
    await assert.rejects(store.listRecords(configMaps), InvalidGvkError);
    assert.deepEqual(await store.getAll(configMaps), []);
  });

  test('validates keys and the size limit like the object API', async () => {
    const store = new ObjectStore(new MemoryBackend(), { maxObjectBytes: 100 });
    await assert.rejects(store.putRecord(SECRET_GVK, '../x', Buffer.from('{}')), InvalidKeyError);
    await assert.rejects(store.putRecord(SECRET_GVK, 'ns/x', new Uint8Array(101)), ObjectTooLargeError);
    await store.putRecord(SECRET_GVK, 'ns/x', new Uint8Array(100));
    assert.deepEqual(
      (await store.listRecords(SECRET_GVK)).map((r) => r.key),
      ['ns/x'],
    );
  });
});

test('secret errors cross threads as wire data and come back as their classes', () => {
  for (const error of [
    new ReservedGroupError('reserved', { field: 'group' }),
    new SecretDecryptFailedError('failed', { instance: 'i', namespace: 'n', name: 'x', keyId: 'k' }),
    new SecretCorruptError('corrupt', { field: 'ciphertext' }),
  ]) {
    const rebuilt = fromWireError(JSON.parse(JSON.stringify(error.toWire())));
    assert.equal(rebuilt.constructor, error.constructor);
    assert.deepEqual(rebuilt.details, error.details);
  }
});
