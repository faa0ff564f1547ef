import assert from 'node:assert/strict';
import { SecretCorruptError, SecretDecryptFailedError, SecretKeyUnknownError } from '../../src/index.js';
import { assertTypedNoLeak, type SecretContext, withSecrets } from './context.js';
import { keyringOf, testKey } from './keys.js';
import type { SecretCase } from './suite.js';

const key1 = testKey('key1');
const keyring = keyringOf(key1);
const ALPHA = 'alpha-plaintext-7f3e9c';
const BETA = 'beta-plaintext-1a2b3c';

/** Two stored secrets to tamper with; returns their record bytes. */
async function twoSecrets(context: SecretContext): Promise<{ alpha: Buffer; beta: Buffer }> {
  const provider = context.secrets(keyring);
  await provider.putSecret(context.instance, 'ns', 'alpha', ALPHA);
  await provider.putSecret(context.instance, 'ns', 'beta', BETA);
  return { alpha: await context.rawRecord('ns', 'alpha'), beta: await context.rawRecord('ns', 'beta') };
}

/** Rewrites one field of a stored record (the record is JSON; the boxes are base64). */
function editRecord(bytes: Buffer, edit: (record: Record<string, string>) => void): Buffer {
  const record = JSON.parse(bytes.toString('utf8'));
  edit(record);
  return Buffer.from(JSON.stringify(record), 'utf8');
}

function flipBit(base64: string, byteIndex: number): string {
  const bytes = Buffer.from(base64, 'base64');
  const at = byteIndex < 0 ? bytes.length + byteIndex : byteIndex;
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes.toString('base64');
}

const getAlpha = (context: SecretContext, provider = context.secrets(keyring)) =>
  provider.getSecret(context.instance, 'ns', 'alpha');

export const tamperCases: readonly SecretCase[] = [
  {
    name: 'a flipped bit anywhere in the ciphertext, nonce or tag is STOWAGE_SECRET_DECRYPT_FAILED',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { alpha } = await twoSecrets(context);
        // The value box: nonce (first byte), body (byte 12) and tag (last byte); then the wrapped key.
        const edits: [string, number][] = [
          ['ciphertext', 0],
          ['ciphertext', 12],
          ['ciphertext', -1],
          ['wrappedKey', 20],
        ];
        for (const [field, index] of edits) {
          await context.plantRecord(
            'ns',
            'alpha',
            editRecord(alpha, (r) => (r[field] = flipBit(r[field]!, index))),
          );
          await assertTypedNoLeak(
            getAlpha(context),
            SecretDecryptFailedError,
            'STOWAGE_SECRET_DECRYPT_FAILED',
            [ALPHA],
          );
        }
      }),
  },
  {
    name: 'an edited header field (times, key id) fails authentication',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { alpha } = await twoSecrets(context);
        await context.plantRecord(
          'ns',
          'alpha',
          editRecord(alpha, (r) => (r.createdAt = '2000-01-01T00:00:00.000Z')),
        );
        await assertTypedNoLeak(
          getAlpha(context),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          [ALPHA],
        );
        // A key id the keyring also holds, but not the one the record was sealed under.
        const both = keyringOf(key1, testKey('key0'));
        await context.plantRecord(
          'ns',
          'alpha',
          editRecord(alpha, (r) => (r.keyId = 'key0')),
        );
        await assertTypedNoLeak(
          getAlpha(context, context.secrets(both)),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          [ALPHA],
        );
      }),
  },
  {
    name: 'ciphertexts swapped between two names both fail, whole records or just the boxes',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { alpha, beta } = await twoSecrets(context);
        const provider = context.secrets(keyring);
        await context.plantRecord('ns', 'alpha', beta);
        await context.plantRecord('ns', 'beta', alpha);
        for (const name of ['alpha', 'beta']) {
          await assertTypedNoLeak(
            provider.getSecret(context.instance, 'ns', name),
            SecretDecryptFailedError,
            'STOWAGE_SECRET_DECRYPT_FAILED',
            [ALPHA, BETA],
          );
        }
        const boxesOf = (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Record<string, string>;
        await context.plantRecord(
          'ns',
          'alpha',
          editRecord(alpha, (r) => {
            r.ciphertext = boxesOf(beta).ciphertext!;
            r.wrappedKey = boxesOf(beta).wrappedKey!;
          }),
        );
        await assertTypedNoLeak(
          getAlpha(context),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          [ALPHA, BETA],
        );
      }),
  },
  {
    name: 'a record copied to another instance or namespace fails there',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { alpha } = await twoSecrets(context);
        const provider = context.secrets(keyring);
        await context.plantRecord('ns', 'alpha', alpha, context.otherInstance);
        await assertTypedNoLeak(
          provider.getSecret(context.otherInstance, 'ns', 'alpha'),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          [ALPHA],
        );
        await context.plantRecord('other', 'alpha', alpha);
        await assertTypedNoLeak(
          provider.getSecret(context.instance, 'other', 'alpha'),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          [ALPHA],
        );
      }),
  },
  {
    name: 'the wrong key under the same id is DECRYPT_FAILED; a missing key id is SECRET_KEY_UNKNOWN',
    run: (target) =>
      withSecrets(target, async (context) => {
        await twoSecrets(context);
        const impostor = keyringOf(testKey('key1'));
        await assertTypedNoLeak(
          getAlpha(context, context.secrets(impostor)),
          SecretDecryptFailedError,
          'STOWAGE_SECRET_DECRYPT_FAILED',
          [ALPHA],
        );
        const stranger = keyringOf(testKey('key9'));
        const error = await assertTypedNoLeak(
          getAlpha(context, context.secrets(stranger)),
          SecretKeyUnknownError,
          'STOWAGE_SECRET_KEY_UNKNOWN',
          [ALPHA],
        );
        assert.equal(error.details.keyId, 'key1');
      }),
  },
  {
    name: 'a truncated or malformed record is STOWAGE_SECRET_CORRUPT',
    run: (target) =>
      withSecrets(target, async (context) => {
        const { alpha } = await twoSecrets(context);
        const corrupt = (bytes: Uint8Array) =>
          context
            .plantRecord('ns', 'alpha', bytes)
            .then(() =>
              assertTypedNoLeak(getAlpha(context), SecretCorruptError, 'STOWAGE_SECRET_CORRUPT', [ALPHA]),
            );
        for (const length of [0, 1, Math.floor(alpha.length / 2), alpha.length - 1]) {
          await corrupt(alpha.subarray(0, length));
        }
        // Still JSON, but a box cut short: too short to hold a nonce and a tag.
        await corrupt(editRecord(alpha, (r) => (r.ciphertext = r.ciphertext!.slice(0, 8))));
        await corrupt(editRecord(alpha, (r) => (r.wrappedKey = r.wrappedKey!.slice(0, 40))));
        await corrupt(editRecord(alpha, (r) => (r.ciphertext = `${r.ciphertext}!`)));
        await corrupt(editRecord(alpha, (r) => ((r as Record<string, unknown>).format = 2)));
        await corrupt(Buffer.from('[]'));
        // A key id no keyring could hold is corrupt, so no message repeats arbitrary stored text.
        await corrupt(editRecord(alpha, (r) => (r.keyId = `KEY-${'x'.repeat(200)}`)));
        // Times are shown by listings before anything is authenticated: free text there could
        // forge a listing's rows (a line break, a terminal escape).
        await corrupt(editRecord(alpha, (r) => (r.updatedAt = '\u001b[31mforged-row\u001b[0m')));
        await corrupt(editRecord(alpha, (r) => (r.createdAt = '2026-11-30T00:00:00.000Z\nprod  db')));
        await corrupt(editRecord(alpha, (r) => (r.createdAt = '2026-13-45T00:00:00.000Z')));
        // Put over a corrupt record is how an operator recovers it.
        await context.secrets(keyring).putSecret(context.instance, 'ns', 'alpha', 'replaced');
        assert.equal(Buffer.from((await getAlpha(context))!).toString(), 'replaced');
      }),
  },
];
