import assert from 'node:assert/strict';
import { SECRET_GVK } from '../../src/secrets/record.js';
import { leakForms, text, withSecrets } from './context.js';
import { keyForms, keyringOf, testKey } from './keys.js';
import type { SecretCase } from './suite.js';

/** Distinctive enough that a hit can only be a leak. */
const MARKER = 'PLAINTEXT-MARKER-5b0c1e7a-do-not-store';

export const rawCases: readonly SecretCase[] = [
  {
    name: "a record's bytes are the caller's: wiping what getRecord or listRecords gave, or what putRecord took, changes nothing stored",
    run: (target) =>
      withSecrets(target, async (context) => {
        const { channel, instance } = context;
        const provider = context.secrets(keyringOf(testKey('key1')));
        await provider.putSecret(instance, 'prod', 'kept', MARKER);
        const stored = await context.rawRecord('prod', 'kept');
        // A caller wipes what it was handed, as one does key material. Through LocalProvider these
        // were the backend's own buffers: every later read failed STOWAGE_SECRET_CORRUPT.
        (await channel.getRecord(instance, SECRET_GVK, 'prod/kept'))?.fill(0);
        for (const record of await channel.listRecords(instance, SECRET_GVK)) record.bytes.fill(0);
        const given = new Uint8Array(stored);
        await context.plantRecord('prod', 'planted', given);
        given.fill(0);
        assert.deepEqual(await context.rawRecord('prod', 'kept'), stored);
        assert.deepEqual(await context.rawRecord('prod', 'planted'), stored);
        assert.equal(text(await provider.getSecret(instance, 'prod', 'kept')), MARKER);
      }),
  },
  {
    name: 'raw storage holds neither the plaintext (as is, base64, hex) nor the key',
    skipUnless: (target) => target.rawStorage,
    run: (target) =>
      withSecrets(target, async (context) => {
        const key1 = testKey('key1');
        const key2 = testKey('key2');
        const provider = context.secrets(keyringOf(key1));
        for (let i = 0; i < 5; i++) {
          await provider.putSecret(context.instance, 'prod', `s${i}`, `${MARKER}-${i}`);
          await provider.putSecret(context.instance, 'prod', `b${i}`, Buffer.from(`${MARKER}-bytes-${i}`));
        }
        await context.secrets(keyringOf(key2, key1)).rotate(context.instance);
        const raw = await context.storage.rawBytes!();
        // The search must be looking at something: the records are there, under their names.
        const haystack = Buffer.concat(raw);
        assert.ok(haystack.includes('EncryptedSecret'), 'the raw dump contains the secret records');
        assert.ok(haystack.includes('s4'), 'the raw dump contains the secret names');
        for (const form of [...leakForms(MARKER), ...keyForms(key1), ...keyForms(key2)]) {
          assert.equal(haystack.indexOf(form), -1, 'raw storage contains plaintext or key material');
        }
        // And the secrets are really there, readable through the provider.
        assert.equal(
          text(await context.secrets(keyringOf(key2)).getSecret(context.instance, 'prod', 's3')),
          `${MARKER}-3`,
        );
      }),
  },
];
