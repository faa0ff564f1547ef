import assert from 'node:assert/strict';
import { SecretCorruptError, SecretDecryptFailedError, SecretKeyUnknownError } from '../../src/index.js';
import { assertTypedNoLeak, text, withSecrets } from './context.js';
import { keyringOf, testKey } from './keys.js';
import type { SecretCase } from './suite.js';

const COUNT = 12;
const key1 = testKey('key1');
const key2 = testKey('key2');
const plaintextOf = (i: number) => `rotation-plaintext-${i}-d41d8c`;

export const rotationCases: readonly SecretCase[] = [
  {
    name: 'rotation: add key2 as primary, rotate, drop key1; all readable; a reader without key2 fails clearly',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { instance } = context;
        const before = context.secrets(keyringOf(key1));
        for (let i = 0; i < COUNT; i++)
          await before.putSecret(instance, `ns${i % 3}`, `s${i}`, plaintextOf(i));
        const created = await before.listSecrets(instance);
        assert.ok(created.every((s) => s.keyId === 'key1'));

        // 1. key2 becomes primary; key1 still decrypts, so nothing breaks before the rotation.
        const during = context.secrets(keyringOf(key2, key1));
        assert.equal(text(await during.getSecret(instance, 'ns0', 's0')), plaintextOf(0));
        // 2. rotate: everything moves to key2, and a second run has nothing left to do.
        assert.deepEqual(await during.rotate(instance), { rotated: COUNT, unchanged: 0 });
        assert.deepEqual(await during.rotate(instance), { rotated: 0, unchanged: COUNT });
        const rotated = await during.listSecrets(instance);
        assert.ok(rotated.every((s) => s.keyId === 'key2'));
        // Rotation re-encrypts; it does not change when a value was created or last set.
        assert.deepEqual(
          rotated.map(({ createdAt, updatedAt }) => [createdAt, updatedAt]),
          created.map(({ createdAt, updatedAt }) => [createdAt, updatedAt]),
        );

        // 3. key1 is dropped; 4. every secret is still readable.
        const after = context.secrets(keyringOf(key2));
        for (let i = 0; i < COUNT; i++) {
          assert.equal(text(await after.getSecret(instance, `ns${i % 3}`, `s${i}`)), plaintextOf(i));
        }

        // 5. a reader that only has key1 cannot read them, and is told which key is missing.
        const stale = context.secrets(keyringOf(key1));
        const error = await assertTypedNoLeak(
          stale.getSecret(instance, 'ns0', 's0'),
          SecretKeyUnknownError,
          'STOWAGE_SECRET_KEY_UNKNOWN',
          [plaintextOf(0)],
        );
        assert.equal(error.details.keyId, 'key2');
        assert.match(error.message, /key "key2", which the keyring does not hold \(it has: key1\)/);
      }),
  },
  {
    name: 'rotation stops at a tampered record instead of re-encrypting it, and resumes once it is fixed',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { instance } = context;
        const before = context.secrets(keyringOf(key1));
        await before.putSecret(instance, 'ns', 'a', 'value-a');
        await before.putSecret(instance, 'ns', 'b', 'value-b');
        await before.putSecret(instance, 'ns', 'c', 'value-c');
        await context.plantRecord('ns', 'b', await context.rawRecord('ns', 'a')); // b now holds a's record
        const during = context.secrets(keyringOf(key2, key1));
        await assertTypedNoLeak(
          during.rotate(instance),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          ['value-a', 'value-b'],
        );
        assert.equal((await during.listSecrets(instance)).find((s) => s.name === 'b')!.keyId, 'key1');
        await during.putSecret(instance, 'ns', 'b', 'value-b2');
        const result = await during.rotate(instance);
        assert.equal(result.rotated + result.unchanged, 3);
        assert.ok((await during.listSecrets(instance)).every((s) => s.keyId === 'key2'));
        assert.equal(text(await context.secrets(keyringOf(key2)).getSecret(instance, 'ns', 'c')), 'value-c');
      }),
  },
  {
    name: 'rotation authenticates the records already under the primary key: one sealed with other key material under that id stops it, and it is not counted unchanged',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { instance } = context;
        const impostor = testKey('key2'); // the primary's id, other key material
        await context.secrets(keyringOf(key2)).putSecret(instance, 'ns', 'a', 'value-a');
        await context.secrets(keyringOf(impostor)).putSecret(instance, 'ns', 'b', 'value-b');
        const during = context.secrets(keyringOf(key2, key1));
        const error = await assertTypedNoLeak(
          during.rotate(instance),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          ['value-a', 'value-b'],
        );
        assert.equal(error.details.name, 'b');
        await during.putSecret(instance, 'ns', 'b', 'value-b2');
        assert.deepEqual(await during.rotate(instance), { rotated: 0, unchanged: 2 });
      }),
  },
  {
    name: 'rotation goes in name order and stops at a malformed record in its turn: the records before it are rotated, and it resumes once that one is overwritten',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { instance } = context;
        const before = context.secrets(keyringOf(key1));
        for (const name of ['a', 'b', 'c']) await before.putSecret(instance, 'ns', name, `value-${name}`);
        const truncated = await context.rawRecord('ns', 'b');
        await context.plantRecord('ns', 'b', truncated.subarray(0, truncated.length - 9));
        const during = context.secrets(keyringOf(key2, key1));
        await assertTypedNoLeak(during.rotate(instance), SecretCorruptError, 'STOWAGE_SECRET_CORRUPT', [
          'value-a',
          'value-c',
        ]);
        const keyIdOf = async (name: string) =>
          (JSON.parse((await context.rawRecord('ns', name)).toString('utf8')) as { keyId: string }).keyId;
        assert.equal(await keyIdOf('a'), 'key2', 'the record before the malformed one was rotated');
        assert.equal(await keyIdOf('c'), 'key1', 'the rotation stopped at the malformed one');
        await during.putSecret(instance, 'ns', 'b', 'value-b2');
        assert.deepEqual(await during.rotate(instance), { rotated: 1, unchanged: 2 });
        assert.ok((await during.listSecrets(instance)).every((s) => s.keyId === 'key2'));
      }),
  },
];
