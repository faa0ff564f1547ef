import { gvk } from '../contract/gvk.js';
import { SecretCorruptError } from '../errors/index.js';
import { parseJsonBytes } from '../objects/codec.js';
import { utf8Owned } from '../objects/owned-bytes.js';
import { NONCE_BYTES, type Sealed, TAG_BYTES, WRAPPED_KEY_BYTES } from './envelope.js';
import { isKeyId } from './keyring.js';

/** Where encrypted secrets are stored: a reserved GVK that public calls refuse (see gvk.ts). */
export const SECRET_GVK = gvk('internal.stowage.io', 'v1', 'EncryptedSecret');

export const RECORD_FORMAT = 1;
export const RECORD_ALGORITHM = 'aes-256-gcm-envelope';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Which secret a record is for; the ciphertext is bound to exactly this. */
export interface SecretIdentity {
  readonly instance: string;
  readonly namespace: string;
  readonly name: string;
}

/** The record's cleartext fields; all of them are authenticated through the AAD. */
export interface RecordHeader {
  readonly keyId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ParsedRecord extends RecordHeader, Sealed {}

/**
 * The associated data: the format, the secret's identity and the header, as a JSON array (fixed
 * order, every element a JSON string or number, so the encoding is unambiguous). The identity comes
 * from the request, never from the record, so a record copied to another name or instance fails to
 * authenticate there.
 */
export function associatedData(identity: SecretIdentity, header: RecordHeader): Buffer {
  return Buffer.from(
    JSON.stringify([
      RECORD_FORMAT,
      RECORD_ALGORITHM,
      identity.instance,
      identity.namespace,
      identity.name,
      header.keyId,
      header.createdAt,
      header.updatedAt,
    ]),
    'utf8',
  );
}

/**
 * A record is a Kubernetes-shaped JSON object (format 1, documented in docs/secrets.md), so tools
 * that dump an instance's records as JSON handle it like any other, and see only ciphertext. Keys
 * are written in sorted order, so the output is canonical JSON without a canonicalizing pass.
 */
export function encodeRecord(identity: SecretIdentity, header: RecordHeader, sealed: Sealed): Buffer {
  // Owned bytes: stores keep the record as it is, and a worker receives exactly its bytes.
  return utf8Owned(
    JSON.stringify({
      algorithm: RECORD_ALGORITHM,
      apiVersion: `${SECRET_GVK.group}/${SECRET_GVK.version}`,
      ciphertext: sealed.ciphertext.toString('base64'),
      createdAt: header.createdAt,
      format: RECORD_FORMAT,
      keyId: header.keyId,
      kind: SECRET_GVK.kind,
      metadata: { name: identity.name, namespace: identity.namespace },
      updatedAt: header.updatedAt,
      wrappedKey: sealed.wrappedKey.toString('base64'),
    }),
  );
}

/** Parses a stored record; anything truncated or malformed is a SecretCorruptError naming the field. */
export function parseRecord(bytes: Uint8Array, identity: SecretIdentity): ParsedRecord {
  const corrupt = (field: string, problem: string): SecretCorruptError =>
    new SecretCorruptError(
      `secret ${identity.namespace}/${identity.name} on instance ${identity.instance} is corrupt: ${problem}`,
      { ...identity, field },
    );
  let value: Record<string, unknown>;
  try {
    value = parseJsonBytes(bytes) as Record<string, unknown>;
  } catch {
    throw corrupt('', 'the record is not valid JSON (truncated?)');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw corrupt('', 'the record is not a JSON object');
  }
  if (value.format !== RECORD_FORMAT) throw corrupt('format', 'unsupported record format');
  if (value.algorithm !== RECORD_ALGORITHM) throw corrupt('algorithm', 'unsupported algorithm');
  const text = (field: string): string => {
    const found = value[field];
    if (typeof found !== 'string' || found === '') throw corrupt(field, `${field} is missing`);
    return found;
  };
  const box = (field: string, minBytes: number, exactBytes?: number): Buffer => {
    const encoded = text(field);
    const decoded = Buffer.from(encoded, 'base64');
    const wrongLength =
      exactBytes === undefined ? decoded.byteLength < minBytes : decoded.byteLength !== exactBytes;
    if (decoded.toString('base64') !== encoded || wrongLength) {
      throw corrupt(field, `${field} is not base64 of the expected length`);
    }
    return decoded;
  };
  // The form toISOString() writes. Checked because the times are shown before the record is
  // authenticated (listSecrets), and free text there could forge lines of a listing.
  const time = (field: string): string => {
    const found = text(field);
    if (!ISO_TIME.test(found) || Number.isNaN(Date.parse(found))) {
      throw corrupt(field, `${field} is not an ISO 8601 UTC time`);
    }
    return found;
  };
  const keyId = text('keyId');
  // Checked here so that an error naming the key id never repeats arbitrary stored text.
  if (!isKeyId(keyId)) throw corrupt('keyId', 'keyId is not a key name (a DNS-1123 label)');
  return {
    keyId,
    createdAt: time('createdAt'),
    updatedAt: time('updatedAt'),
    wrappedKey: box('wrappedKey', WRAPPED_KEY_BYTES, WRAPPED_KEY_BYTES),
    ciphertext: box('ciphertext', NONCE_BYTES + TAG_BYTES),
  };
}
