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
  let gvk: GroupVersionKind;
  try {
    gvk = gvkFromApiVersion(apiVersion, kind);
  } catch (error) {
    if (!(error instanceof InvalidGvkError)) throw error;
    const field = error.details.field === 'kind' ? 'kind' : 'apiVersion';
    throw new InvalidObjectError(error.message, { field });
  }
  rejectReservedGroup(gvk);
  const name = checkName(gvk, metadata.name);
  const namespace = checkNamespace(metadata.namespace);
  return { gvk, key: makeObjectKey(namespace, name) };
}
