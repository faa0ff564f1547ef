import { gvkString } from '../contract/gvk.js';
import type { RuntimeObject } from '../contract/types.js';
import { thrownText } from '../errors/base.js';
import {
  CorruptObjectError,
  InvalidObjectError,
  ObjectTooLargeError,
  StowageError,
} from '../errors/index.js';
import { canonicalJson, canonicalJsonUpTo } from './canonical-json.js';
import { checkSameAddress, identify, type ObjectIdentity } from './identity.js';
import { jsonFaultPosition } from './json-fault.js';
import { utf8Owned } from './owned-bytes.js';
import { parseJson } from './parse-json.js';
import { plainCopy } from './plain-copy.js';

/** etcd's request limit, the default object size limit. */
export const DEFAULT_MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

export interface EncodedObject extends ObjectIdentity {
  /** Canonical JSON, UTF-8, in a buffer of its own (owned-bytes.ts): stores keep it as it is. */
  readonly bytes: Buffer;
}

/** Validates an object completely and produces its canonical bytes. Nothing is stored on failure. */
export function encodeObject(object: unknown, maxObjectBytes = DEFAULT_MAX_OBJECT_BYTES): EncodedObject {
  return readingCallerObject(() => {
    const identity = identify(object);
    const json = canonicalJson(object, identity.fields);
    return {
      gvk: identity.gvk,
      key: identity.key,
      bytes: utf8Owned(json, checkedSize(json, maxObjectBytes)),
    };
  });
}

/**
 * An object made ready on the runtime's caller thread: `json`, its canonical JSON, for the thread
 * that stores it to turn into bytes; or, for a larger one, `copy`, a validated plain copy that
 * thread encodes. Either way it is fixed at the call: what the caller changes afterwards is not
 * stored.
 */
export type PreparedObject = ObjectIdentity &
  (
    | { readonly json: string; readonly copy?: undefined }
    | { readonly json?: undefined; readonly copy: RuntimeObject }
  );

/**
 * encodeObject() up to the canonical JSON for objects whose JSON has at most `maxLength` characters
 * (validated and size-checked); a larger one is validated and copied instead (plainCopy), its size
 * checked where it is encoded.
 */
export function prepareObject(object: unknown, maxLength: number, maxObjectBytes: number): PreparedObject {
  return readingCallerObject(() => {
    const identity = identify(object);
    const json = canonicalJsonUpTo(object, maxLength, identity.fields);
    if (json === undefined) {
      const copy = plainCopy(object as RuntimeObject, maxObjectBytes);
      // The copy is what gets stored: it must hold the address the key came from.
      checkSameAddress(identity.fields, identify(copy).fields);
      return { gvk: identity.gvk, key: identity.key, copy };
    }
    // A UTF-16 unit takes at most 3 UTF-8 bytes: below the limit by that bound, the exact count (a
    // pass over the text on the caller's thread) cannot refuse it.
    if (json.length * 3 > maxObjectBytes) checkedSize(json, maxObjectBytes);
    return { gvk: identity.gvk, key: identity.key, json };
  });
}

/**
 * Runs `read` over a caller's object, and turns what reading it throws that is not a StowageError
 * (a getter, a Proxy's trap) into an InvalidObjectError, so every failure of a put is typed.
 */
function readingCallerObject<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof StowageError) throw error;
    throw new InvalidObjectError(`the object could not be read: ${thrownText(error)}`, { field: '' });
  }
}

/** The UTF-8 size of `json`; throws ObjectTooLargeError past `maxObjectBytes`. */
function checkedSize(json: string, maxObjectBytes: number): number {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxObjectBytes) {
    throw ObjectTooLargeError.over('the serialized object', bytes, maxObjectBytes);
  }
  return bytes;
}

/** `JSON.parse` of UTF-8 bytes (parseJson), read in place rather than copied; throws what `JSON.parse` throws. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  return parseJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
}

/**
 * Decodes the bytes stored for `stored` (the GVK and key they were read under); anything that is
 * not a well-formed object of that GVK and key is a CorruptObjectError. stowage never stores an
 * object under another address, but another writer of the same storage (a tool writing into an
 * S3 prefix, a copied file) can, and such an object must not pass for the one asked for.
 */
export function decodeObject(bytes: Uint8Array, stored: ObjectIdentity): RuntimeObject {
  const where = `${gvkString(stored.gvk)} ${stored.key}`;
  let value: unknown;
  try {
    value = parseJsonBytes(bytes);
  } catch (error) {
    throw new CorruptObjectError(`stored record at ${where} is not valid JSON: ${jsonFault(error, bytes)}`, {
      where,
    });
  }
  let identity: ObjectIdentity;
  try {
    identity = identify(value);
  } catch (error) {
    throw new CorruptObjectError(
      `stored record at ${where} is not a valid object: ${(error as Error).message}`,
      {
        where,
      },
    );
  }
  const found = `${gvkString(identity.gvk)} ${identity.key}`;
  if (found !== where) {
    throw new CorruptObjectError(`stored record at ${where} holds another object: ${found}`, { where });
  }
  return value as RuntimeObject;
}

/** The record's size and where JSON.parse gave up, never its text (json-fault.ts). */
function jsonFault(error: unknown, bytes: Uint8Array): string {
  const position = jsonFaultPosition(error);
  return position === undefined
    ? `${bytes.byteLength} bytes that do not parse`
    : `${bytes.byteLength} bytes that stop parsing at position ${position}`;
}
