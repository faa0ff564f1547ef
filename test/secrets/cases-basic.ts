import assert from 'node:assert/strict';
import { gvk, InvalidSecretError, ReservedGroupError } from '../../src/index.js';
import { SECRET_GVK } from '../../src/secrets/record.js';
import { EncryptedSecretProvider } from '../../src/secrets/secret-provider.js';
import { text, withSecrets } from './context.js';
import { keyringOf, testKey } from './keys.js';
import type { SecretCase } from './suite.js';

const keyring = keyringOf(testKey('key1'));

export const basicCases: readonly SecretCase[] = [
  {
    name: 'a value read back owns its memory: no view into a buffer shared with other secrets',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        await provider.putSecret(instance, 'prod', 'a', 'first-secret-value');
        await provider.putSecret(instance, 'prod', 'b', 'second-secret-value');
        const a = (await provider.getSecret(instance, 'prod', 'a'))!;
        const b = (await provider.getSecret(instance, 'prod', 'b'))!;
        for (const value of [a, b]) {
          assert.equal(value.byteOffset, 0);
          assert.equal(value.buffer.byteLength, value.byteLength);
        }
        assert.ok(!Buffer.from(a.buffer).includes('second-secret-value'));
      }),
  },
  {
    name: 'an empty namespace filter and a string with a lone surrogate are refused, not read as nothing or stored altered',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        await provider.putSecret(instance, 'prod', 'x', 'v');
        await assert.rejects(provider.listSecrets(instance, ''), InvalidSecretError);
        await assert.rejects(
          provider.putSecret(instance, 'prod', 'y', 'bad \uD800 value'),
          InvalidSecretError,
        );
        assert.equal(await provider.getSecret(instance, 'prod', 'y'), undefined);
        assert.equal((await provider.listSecrets(instance, 'prod')).length, 1);
      }),
  },
  {
    name: 'string and byte values round-trip, including every byte value and hostile Unicode',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
        const unicode = 'pässwörd 🔑 \u0000 "quotes" \\ </script> \u202e';
        await provider.putSecret(instance, 'prod', 'db-password', 'hunter2');
        await provider.putSecret(instance, 'prod', 'tls.key', allBytes);
        await provider.putSecret(instance, 'prod', 'unicode', unicode);
        await provider.putSecret(instance, 'prod', 'empty', '');
        assert.equal(text(await provider.getSecret(instance, 'prod', 'db-password')), 'hunter2');
        assert.deepEqual(new Uint8Array((await provider.getSecret(instance, 'prod', 'tls.key'))!), allBytes);
        assert.equal(text(await provider.getSecret(instance, 'prod', 'unicode')), unicode);
        assert.equal(text(await provider.getSecret(instance, 'prod', 'empty')), '');
        assert.equal(await provider.getSecret(instance, 'prod', 'absent'), undefined);
      }),
  },
  {
    name: 'overwrite keeps createdAt, moves updatedAt, and records the key id',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        const first = await provider.putSecret(instance, 'ns', 'token', 'one');
        await new Promise((resolve) => setImmediate(resolve));
        const second = await provider.putSecret(instance, 'ns', 'token', 'two');
        assert.equal(second.createdAt, first.createdAt);
        assert.ok(second.updatedAt >= first.updatedAt);
        assert.equal(second.keyId, 'key1');
        assert.equal(text(await provider.getSecret(instance, 'ns', 'token')), 'two');
        assert.deepEqual(await provider.listSecrets(instance), [second]);
      }),
  },
  {
    name: 'delete is idempotent: true, then false; the secret is gone from get and list',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        await provider.putSecret(instance, 'ns', 'gone', 'value');
        assert.equal(await provider.deleteSecret(instance, 'ns', 'gone'), true);
        assert.equal(await provider.deleteSecret(instance, 'ns', 'gone'), false);
        assert.equal(await provider.getSecret(instance, 'ns', 'gone'), undefined);
        assert.deepEqual(await provider.listSecrets(instance), []);
      }),
  },
  {
    name: 'listings hold metadata only, sorted, filtered by namespace ("a" never lists "ab")',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance, otherInstance }) => {
        const provider = secrets(keyring);
        await provider.putSecret(instance, 'ab', 'x', 'plaintext-ab-x');
        await provider.putSecret(instance, 'a', 'y', 'plaintext-a-y');
        await provider.putSecret(instance, 'a', 'x', 'plaintext-a-x');
        await provider.putSecret(otherInstance, 'a', 'z', 'plaintext-a-z');
        const all = await provider.listSecrets(instance);
        assert.deepEqual(
          all.map((s) => `${s.namespace}/${s.name}`),
          ['a/x', 'a/y', 'ab/x'],
        );
        assert.deepEqual(Object.keys(all[0]!).sort(), [
          'createdAt',
          'keyId',
          'name',
          'namespace',
          'updatedAt',
        ]);
        assert.ok(!JSON.stringify(all).includes('plaintext'));
        assert.deepEqual(
          (await provider.listSecrets(instance, 'a')).map((s) => s.name),
          ['x', 'y'],
        );
        assert.deepEqual(
          (await provider.listSecrets(otherInstance)).map((s) => s.name),
          ['z'],
        );
      }),
  },
  {
    name: 'invalid namespaces, names and values are InvalidSecretError; nothing is stored',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        for (const [namespace, name] of [
          ['', 'x'],
          ['Bad_NS', 'x'],
          ['ns', '../etc'],
          ['ns', 'a/b'],
          ['ns', ''],
          ['ns', 'x'.repeat(254)],
        ] as const) {
          await assert.rejects(provider.putSecret(instance, namespace, name, 'v'), InvalidSecretError);
          await assert.rejects(provider.getSecret(instance, namespace, name), InvalidSecretError);
        }
        await assert.rejects(
          provider.putSecret(instance, 'ns', 'big', new Uint8Array(1024 * 1024 + 1)),
          InvalidSecretError,
        );
        await assert.rejects(
          provider.putSecret(instance, 'ns', 'num', 42 as unknown as string),
          InvalidSecretError,
        );
        assert.deepEqual(await provider.listSecrets(instance), []);
      }),
  },
  {
    name: 'a secret of exactly the size limit round-trips',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        const value = new Uint8Array(1024 * 1024).fill(0xa5);
        await provider.putSecret(instance, 'ns', 'max', value);
        assert.deepEqual(new Uint8Array((await provider.getSecret(instance, 'ns', 'max'))!), value);
      }),
  },
  {
    name: 'concurrent puts on one secret end in the last-submitted value',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance }) => {
        const provider = secrets(keyring);
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => provider.putSecret(instance, 'ns', 'racy', `v${i}`)),
        );
        assert.equal(text(await provider.getSecret(instance, 'ns', 'racy')), 'v9');
      }),
  },
  {
    name: 'plain object calls cannot reach the secret key space (ReservedGroupError)',
    run: (target) =>
      withSecrets(target, async ({ secrets, instance, objects }) => {
        await secrets(keyring).putSecret(instance, 'ns', 'hidden', 'value');
        const reserved = gvk(SECRET_GVK.group, SECRET_GVK.version, SECRET_GVK.kind);
        await assert.rejects(objects.getAllObjects(instance, reserved), ReservedGroupError);
        await assert.rejects(objects.getObject(instance, reserved, 'ns/hidden'), ReservedGroupError);
        await assert.rejects(objects.deleteObject(instance, reserved, 'ns/hidden'), ReservedGroupError);
        await assert.rejects(
          objects.putObject(instance, {
            apiVersion: 'internal.stowage.io/v1',
            kind: 'EncryptedSecret',
            metadata: { name: 'hidden', namespace: 'ns' },
          }),
          ReservedGroupError,
        );
        const sub = gvk('x.internal.stowage.io', 'v1', 'EncryptedSecret');
        await assert.rejects(objects.getAllObjects(instance, sub), ReservedGroupError);
        assert.equal(text(await secrets(keyring).getSecret(instance, 'ns', 'hidden')), 'value');
      }),
  },
  {
    name: 'secrets survive close and reopen of the provider over the same storage',
    skipUnless: (target) => target.persistent,
    run: (target) =>
      withSecrets(target, async ({ secrets, instance, storage, close }) => {
        await secrets(keyring).putSecret(instance, 'ns', 'durable', 'still-here');
        await close();
        const reopened = await storage.open();
        try {
          const again = new EncryptedSecretProvider(reopened.channel, keyring);
          assert.equal(text(await again.getSecret(reopened.instance, 'ns', 'durable')), 'still-here');
        } finally {
          await reopened.close();
        }
      }),
  },
];
