import type { RuntimeObject } from '../contract/types.js';
import { CorruptObjectError, ObjectTooLargeError } from '../errors/index.js';
import { canonicalJson, canonicalJsonUpTo } from './canonical-json.js';
import { identify, type ObjectIdentity } from './identity.js';

/** etcd's request limit, the default object size limit. */
export const DEFAULT_MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

export interface EncodedObject extends ObjectIdentity {
  /** Canonical JSON, UTF-8. */
  readonly bytes: Buffer;
}

/** Validates an object completely and produces its canonical bytes. Nothing is stored on failure. */
export function encodeObject(object: unknown, maxObjectBytes = DEFAULT_MAX_OBJECT_BYTES): EncodedObject {
  const identity = identify(object);
  return withBytes(identity, canonicalJson(object), maxObjectBytes);
}

/**
 * encodeObject() for objects whose canonical JSON has at most `maxLength` characters. A larger one
 * gets only its identity checked (`bytes` undefined) and is left to be encoded elsewhere: its later
 * fields are not yet validated.
 */
export function encodeSmallObject(
  object: unknown,
  maxLength: number,
  maxObjectBytes: number,
): ObjectIdentity & { readonly bytes: Buffer | undefined } {
  const identity = identify(object);
  const json = canonicalJsonUpTo(object, maxLength);
  return json === undefined ? { ...identity, bytes: undefined } : withBytes(identity, json, maxObjectBytes);
}

function withBytes(identity: ObjectIdentity, json: string, maxObjectBytes: number): EncodedObject {
  const bytes = Buffer.from(json, 'utf8');
  if (bytes.length > maxObjectBytes) {
    throw new ObjectTooLargeError(
      `object is ${bytes.length} bytes serialized, over the limit of ${maxObjectBytes} bytes`,
      { field: '', bytes: bytes.length, limit: maxObjectBytes },
    );
  }
  return { gvk: identity.gvk, key: identity.key, bytes };
}

/** `JSON.parse` of UTF-8 bytes, read in place rather than copied; throws what `JSON.parse` throws. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

/** Decodes stored bytes; anything that is not a well-formed object is a CorruptObjectError. */
export function decodeObject(bytes: Uint8Array, where: string): RuntimeObject {
  let value: unknown;
  try {
    value = parseJsonBytes(bytes);
  } catch (error) {
    throw new CorruptObjectError(`stored record at ${where} is not valid JSON: ${(error as Error).message}`, {
      where,
    });
  }
  try {
    identify(value);
  } catch (error) {
    throw new CorruptObjectError(
      `stored record at ${where} is not a valid object: ${(error as Error).message}`,
      {
        where,
      },
    );
  }
  return value as RuntimeObject;
}
