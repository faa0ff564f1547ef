import { type GroupVersionKind, gvkFromApiVersion, rejectReservedGroup } from '../contract/gvk.js';
import { checkName, checkNamespace, makeObjectKey, type ObjectKey } from '../contract/object-key.js';
import type { RuntimeObject } from '../contract/types.js';
import { InvalidGvkError, InvalidObjectError } from '../errors/index.js';

/** Where an object lives: its GVK and its key within that GVK. */
export interface ObjectIdentity {
  readonly gvk: GroupVersionKind;
  readonly key: ObjectKey;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks the fields that address an object (apiVersion, kind, metadata.name/namespace) and derives
 * its GVK and key. Cheap: it does not walk the body, so it can run on a hot thread.
 */
export function identify(object: unknown): ObjectIdentity {
  if (!isPlainObject(object)) {
    throw new InvalidObjectError('object must be a JSON object', { field: '' });
  }
  const { apiVersion, kind, metadata } = object as Partial<RuntimeObject>;
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    throw new InvalidObjectError('apiVersion is required', { field: 'apiVersion' });
  }
  if (typeof kind !== 'string' || kind === '') {
    throw new InvalidObjectError('kind is required', { field: 'kind' });
  }
  if (!isPlainObject(metadata)) {
    throw new InvalidObjectError('metadata is required', { field: 'metadata' });
  }
  const gvk = rejectReservedGroup(validGvk(apiVersion, kind));
  const name = checkName(gvk, metadata.name);
  const namespace = checkNamespace(metadata.namespace);
  return { gvk, key: makeObjectKey(namespace, name) };
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
