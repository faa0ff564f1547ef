import { randomBytes } from 'node:crypto';
import { Keyring } from '../../src/secrets/keyring.js';

/** A random 32-byte key and its base64, as an operator would write it into a keyring file. */
export interface TestKey {
  readonly id: string;
  readonly secret: Buffer;
  readonly base64: string;
}

export function testKey(id: string): TestKey {
  const secret = randomBytes(32);
  return { id, secret, base64: secret.toString('base64') };
}

export function keyringOf(...keys: TestKey[]): Keyring {
  return Keyring.fromKeys(keys.map(({ id, secret }) => ({ id, secret })));
}

/** Keyring file text; the first key is the primary. */
export function keyringYaml(...keys: TestKey[]): string {
  return `keys:\n${keys.map((k) => `  - name: ${k.id}\n    secret: ${k.base64}\n`).join('')}`;
}

/** Every text form a key could leak in: raw bytes as latin1, base64 and hex. */
export function keyForms(key: TestKey): string[] {
  return [key.base64, key.secret.toString('hex'), key.secret.toString('latin1')];
}
