import type { StowageError } from '../errors/index.js';
import { InvalidKeyError, InvalidObjectError } from '../errors/index.js';
import { quoted } from '../errors/quoted.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, RBAC_NAME } from './dns.js';
import type { GroupVersionKind } from './gvk.js';

/**
 * Identifies an object within its GVK: `namespace/name`, or `name` for cluster-scoped objects.
 * It is a plain string, so it is cheap to cache, compare and send across threads.
 */
export type ObjectKey = string & { readonly __objectKey: unique symbol };

type ErrorFactory = (message: string, field: string) => StowageError;
const invalidObject: ErrorFactory = (message, field) => new InvalidObjectError(message, { field });
/** Key errors speak of the key, not of the metadata fields its parts would fill. */
const invalidKey: ErrorFactory = (message) =>
  new InvalidKeyError(`invalid key: ${message.replace(/^metadata\./, '')}`, { field: 'key' });

const MAX_NAME = 253;
const MAX_NAMESPACE = 63;

function usesPathSegmentNames(gvk: GroupVersionKind): boolean {
  return gvk.group === 'rbac.authorization.k8s.io';
}

export function checkName(gvk: GroupVersionKind, name: unknown, fail: ErrorFactory = invalidObject): string {
  const field = 'metadata.name';
  if (name === undefined || name === '') throw fail(`${field} is required`, field);
  if (typeof name !== 'string') throw fail(`${field} must be a string, got ${quoted(name)}`, field);
  if (name.length > MAX_NAME) throw fail(`${field} is longer than ${MAX_NAME} characters`, field);
  const pattern = usesPathSegmentNames(gvk) ? RBAC_NAME : DNS1123_SUBDOMAIN;
  if (!pattern.test(name) || name.includes('..')) {
    throw fail(`${field} ${quoted(name)} is not a valid name for ${gvk.kind}`, field);
  }
  return name;
}

export function checkNamespace(namespace: unknown, fail: ErrorFactory = invalidObject): string | undefined {
  const field = 'metadata.namespace';
  if (namespace === undefined || namespace === '') return undefined;
  if (typeof namespace !== 'string') throw fail(`${field} must be a string`, field);
  if (namespace.length > MAX_NAMESPACE || !DNS1123_LABEL.test(namespace)) {
    throw fail(`${field} ${quoted(namespace)} is not a DNS-1123 label`, field);
  }
  return namespace;
}

/** Builds the key for an identity whose parts were already validated. */
export function makeObjectKey(namespace: string | undefined, name: string): ObjectKey {
  return (namespace === undefined ? name : `${namespace}/${name}`) as ObjectKey;
}

/** Validates a key that came from outside; throws InvalidKeyError, never a not-found. */
export function parseObjectKey(gvk: GroupVersionKind, key: unknown): { namespace?: string; name: string } {
  if (typeof key !== 'string') throw new InvalidKeyError('key must be a string', { field: 'key' });
  const slash = key.indexOf('/');
  if (slash === -1) return { name: checkName(gvk, key, invalidKey) };
  const namespace = checkNamespace(key.slice(0, slash), invalidKey);
  if (namespace === undefined) throw new InvalidKeyError('key has an empty namespace', { field: 'key' });
  return { namespace, name: checkName(gvk, key.slice(slash + 1), invalidKey) };
}

export function checkObjectKey(gvk: GroupVersionKind, key: unknown): ObjectKey {
  const parts = parseObjectKey(gvk, key);
  return makeObjectKey(parts.namespace, parts.name);
}
