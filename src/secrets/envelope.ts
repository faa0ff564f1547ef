import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';
import { KEY_BYTES } from './keyring.js';

/**
 * AES-256-GCM envelope encryption. Every seal draws a fresh random data key (DEK) that encrypts
 * exactly one value; the keyring key (KEK) only ever encrypts DEKs. Both boxes are
 * `nonce (12 bytes) | ciphertext | tag (16 bytes)` with a random 96-bit nonce, and both are bound
 * to the same associated data, labelled so neither box can stand in for the other.
 */
const CIPHER = 'aes-256-gcm';
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** A wrapped DEK: nonce + 32-byte key + tag. */
export const WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES;

const WRAP_LABEL = Buffer.from('stowage secret data key\0');
const VALUE_LABEL = Buffer.from('stowage secret value\0');

export interface Sealed {
  readonly wrappedKey: Buffer;
  readonly ciphertext: Buffer;
}

/** Thrown when a box fails authentication; callers turn it into a typed error with context. */
export class AuthenticationFailed extends Error {}

export function seal(kek: KeyObject, plaintext: Uint8Array, aad: Uint8Array): Sealed {
  // One draw from the CSPRNG for the data key and both nonces: each call has a fixed cost.
  const random = randomBytes(KEY_BYTES + 2 * NONCE_BYTES);
  const dek = random.subarray(0, KEY_BYTES);
  try {
    return {
      wrappedKey: encrypt(kek, random.subarray(KEY_BYTES, KEY_BYTES + NONCE_BYTES), dek, [WRAP_LABEL, aad]),
      ciphertext: encrypt(dek, random.subarray(KEY_BYTES + NONCE_BYTES), plaintext, [VALUE_LABEL, aad]),
    };
  } finally {
    random.fill(0);
  }
}

/** Unwraps the DEK, then decrypts; throws AuthenticationFailed if either box was altered or misplaced. */
export function open(kek: KeyObject, sealed: Sealed, aad: Uint8Array): Buffer {
  const dek = decrypt(kek, sealed.wrappedKey, Buffer.concat([WRAP_LABEL, aad]));
  try {
    if (dek.byteLength !== KEY_BYTES) throw new AuthenticationFailed('data key has the wrong length');
    return decrypt(dek, sealed.ciphertext, Buffer.concat([VALUE_LABEL, aad]));
  } finally {
    dek.fill(0);
  }
}

function encrypt(
  key: KeyObject | Buffer,
  nonce: Buffer,
  plaintext: Uint8Array,
  aad: readonly Uint8Array[],
): Buffer {
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function decrypt(key: KeyObject | Buffer, box: Buffer, aad: Buffer): Buffer {
  if (box.byteLength < NONCE_BYTES + TAG_BYTES) throw new AuthenticationFailed('box is too short');
  const nonce = box.subarray(0, NONCE_BYTES);
  const tag = box.subarray(box.byteLength - TAG_BYTES);
  const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const body = decipher.update(box.subarray(NONCE_BYTES, box.byteLength - TAG_BYTES));
  try {
    const last = decipher.final();
    // A buffer of its own: Buffer.concat would hand out a view into Node's shared pool, whose other
    // slices (other secrets, data keys) anyone holding the value could read through `.buffer`.
    const plaintext = Buffer.allocUnsafeSlow(body.byteLength + last.byteLength);
    plaintext.set(body, 0);
    plaintext.set(last, body.byteLength);
    last.fill(0);
    return plaintext;
  } catch {
    // Node's message ("unable to authenticate data") says nothing more; never pass partial output on.
    throw new AuthenticationFailed('authentication failed');
  } finally {
    body.fill(0);
  }
}
