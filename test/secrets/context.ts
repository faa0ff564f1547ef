import assert from 'node:assert/strict';
import type { StowageError } from '../../src/index.js';
import type { Keyring } from '../../src/secrets/keyring.js';
import { SECRET_GVK } from '../../src/secrets/record.js';
import { EncryptedSecretProvider } from '../../src/secrets/secret-provider.js';
import type { OpenedChannel, SecretStorage, SecretTarget } from './target.js';

export interface SecretContext extends OpenedChannel {
  readonly storage: SecretStorage;
  /** A secret provider over this channel with the given keyring. */
  secrets(keyring: Keyring): EncryptedSecretProvider;
  /** The stored record bytes of a secret, read through the internal channel. */
  rawRecord(namespace: string, name: string, instance?: string): Promise<Buffer>;
  plantRecord(namespace: string, name: string, bytes: Uint8Array, instance?: string): Promise<void>;
}

/** Runs `body` over fresh storage and an opened channel, and always cleans up. */
export async function withSecrets(
  target: SecretTarget,
  body: (context: SecretContext) => Promise<void>,
): Promise<void> {
  const storage = await target.createStorage();
  let opened: OpenedChannel | undefined;
  try {
    opened = await storage.open();
    const { channel, instance } = opened;
    await body({
      ...opened,
      storage,
      secrets: (keyring) => new EncryptedSecretProvider(channel, keyring),
      async rawRecord(namespace, name, at = instance) {
        const bytes = await channel.getRecord(at, SECRET_GVK, `${namespace}/${name}`);
        assert.ok(bytes, `record ${namespace}/${name} exists`);
        return Buffer.from(bytes);
      },
      plantRecord: (namespace, name, bytes, at = instance) =>
        channel.putRecord(at, SECRET_GVK, `${namespace}/${name}`, bytes),
    });
  } finally {
    await opened?.close();
    await storage.dispose();
  }
}

/**
 * Asserts the error is the typed class with the code, and that no form of the plaintext is in its
 * message, details, stack or wire form.
 */
export async function assertTypedNoLeak(
  promise: Promise<unknown>,
  expected: typeof StowageError,
  code: string,
  plaintexts: readonly string[],
): Promise<StowageError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof expected, `expected ${expected.name}, got ${String(caught)}`);
  const error = caught as StowageError;
  assert.equal(error.code, code);
  const text = [
    error.message,
    error.stack,
    JSON.stringify(error.details),
    JSON.stringify(error.toWire()),
  ].join('\n');
  for (const plaintext of plaintexts) {
    for (const form of leakForms(plaintext))
      assert.ok(!text.includes(form), `error leaks the plaintext: ${text}`);
  }
  return error;
}

/** The plaintext as it could appear if it leaked: as is, base64 and hex. */
export function leakForms(plaintext: string): string[] {
  const bytes = Buffer.from(plaintext, 'utf8');
  return [plaintext, bytes.toString('base64'), bytes.toString('hex')];
}

export function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
}
