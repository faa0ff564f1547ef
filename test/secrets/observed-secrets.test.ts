import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  observedSecrets,
  SecretDecryptFailedError,
  type SecretOperation,
  type SecretPersistenceProvider,
} from '../../src/index.js';

test('observedSecrets reports each failed call with its code and rejects as the call did, a synchronous throw and a code that cannot be read included', async () => {
  const unreadable = Object.defineProperty({}, 'code', {
    get() {
      throw new Error('code refuses');
    },
  });
  const decryptFailed = new SecretDecryptFailedError('does not decrypt', {});
  const inner = {
    getSecret: () => Promise.reject(decryptFailed),
    putSecret: () => {
      throw decryptFailed;
    },
    deleteSecret: () => Promise.reject(unreadable),
    listSecrets: () => Promise.resolve([]),
    rotate: () => Promise.resolve({ rotated: 1, unchanged: 0 }),
  } as unknown as SecretPersistenceProvider;
  const seen: [string, SecretOperation, string][] = [];
  const secrets = observedSecrets(inner, (...failure) => seen.push(failure));
  await assert.rejects(secrets.getSecret('i', 'ns', 'a'), (error) => error === decryptFailed);
  await assert.rejects(secrets.putSecret('i', 'ns', 'a', 'v'), (error) => error === decryptFailed);
  assert.equal(await secrets.deleteSecret('i', 'ns', 'a').catch((error: unknown) => error), unreadable);
  assert.deepEqual(await secrets.listSecrets('i'), []);
  assert.deepEqual(await secrets.rotate('i'), { rotated: 1, unchanged: 0 });
  assert.deepEqual(seen, [
    ['i', 'get', 'STOWAGE_SECRET_DECRYPT_FAILED'],
    ['i', 'put', 'STOWAGE_SECRET_DECRYPT_FAILED'],
    ['i', 'delete', 'STOWAGE_INTERNAL'],
  ]);
});
