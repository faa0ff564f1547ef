import { type GroupVersionKind, gvkFromApiVersion, rejectReservedGroup } from '../contract/gvk.js';
import { checkName, checkNamespace, makeObjectKey, type ObjectKey } from '../contract/object-key.js';
import { InvalidGvkError, InvalidObjectError } from '../errors/index.js';
import { quoted } from '../errors/quoted.js';

/** Where an object lives: its GVK and its key within that GVK. */
export interface ObjectIdentity {
  readonly gvk: GroupVersionKind;
  readonly key: ObjectKey;
}

/** The values an object's address was derived from, as identify() read them. */
export interface AddressFields {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: unknown;
  readonly namespace: unknown;
}

/** An object's address, with what it was read from, for the encoder to hold to what it writes. */
export interface IdentifiedObject extends ObjectIdentity {
  readonly fields: AddressFields;
}

/**
 * Throws InvalidObjectError unless `stored`, the address fields as read for what is stored, are
 * the values `read` that the object's key came from. Reading an object twice can give two answers
 * (a getter, a Proxy, a property that is not enumerable, so that a walk of its keys skips it), and
 * an object stored under a key its bytes do not hold cannot be read back, and fails every listing
 * of its kind.
 */
export function checkSameAddress(
  read: AddressFields,
  stored: { readonly [F in keyof AddressFields]?: unknown },
): void {
  for (const field of ['apiVersion', 'kind', 'name', 'namespace'] as const) {
    if (read[field] === stored[field]) continue;
    const path = field === 'name' || field === 'namespace' ? `metadata.${field}` : field;
    const shown = (value: unknown) => (value === undefined ? 'nothing' : quoted(value));
    throw new InvalidObjectError(
      `${path}: read as ${shown(read[field])} for the object's key but as ${shown(stored[field])} for what is stored (a getter, a Proxy or a property that is not enumerable answered differently)`,
      { field: path },
    );
  }
}

function requiredText(field: 'apiVersion' | 'kind', value: unknown): string {
  if (value === undefined || value === '') throw new InvalidObjectError(`${field} is required`, { field });
  if (typeof value !== 'string') {
    throw new InvalidObjectError(`${field} must be a string, got ${quoted(value)}`, { field });
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks the fields that address an object (apiVersion, kind, metadata.name/namespace) and derives
 * its GVK and key. Cheap: it does not walk the body, so it can run on a hot thread.
 */
export function identify(object: unknown): IdentifiedObject {
  if (!isPlainObject(object)) {
    throw new InvalidObjectError('object must be a JSON object', { field: '' });
  }
  const apiVersion = requiredText('apiVersion', object.apiVersion);
  const kind = requiredText('kind', object.kind);
  const { metadata } = object;
  if (!isPlainObject(metadata)) {
    throw new InvalidObjectError('metadata is required', { field: 'metadata' });
  }
  const gvk = rejectReservedGroup(validGvk(apiVersion, kind));
  const fields = { apiVersion, kind, name: metadata.name, namespace: metadata.namespace };
  const name = checkName(gvk, fields.name);
  const namespace = checkNamespace(fields.namespace);
  return { gvk, key: makeObjectKey(namespace, name), fields };
}

/**
 * GVKs that passed validation, by apiVersion and kind. identify() runs on every put (on both threads
 * of the runtime path, and twice on the direct path for backends that need key order), objects
 * come in a handful of kinds, and validating one costs three regular
 * expressions; a hit returns the frozen GVK that validation produced for the same two strings.
 * Only valid pairs are stored, and neither part of a valid pair contains a space, so the joined key
 * is unambiguous. Cleared when full, so callers cycling through many kinds cannot grow it.
 */
const validGvks = new Map<string, GroupVersionKind>();
const VALID_GVKS_LIMIT = 1024;

function validGvk(apiVersion: string, kind: string): GroupVersionKind {
  const cacheKey = `${apiVersion} ${kind}`;
  const cached = validGvks.get(cacheKey);
  if (cached) return cached;
  let gvk: GroupVersionKind;
  try {
    gvk = gvkFromApiVersion(apiVersion, kind);
  } catch (error) {
    if (!(error instanceof InvalidGvkError)) throw error;
    const field = error.details.field === 'kind' ? 'kind' : 'apiVersion';
    throw new InvalidObjectError(error.message, { field });
  }
  if (validGvks.size >= VALID_GVKS_LIMIT) validGvks.clear();
  validGvks.set(cacheKey, gvk);
  return gvk;
}
