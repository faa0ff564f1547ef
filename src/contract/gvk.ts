import { thrownText } from '../errors/base.js';
import { InvalidGvkError, ReservedGroupError } from '../errors/index.js';
import { quoted } from '../errors/quoted.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from './dns.js';

/** Group, version and kind of an object. The core group is the empty string. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** Kinds are Go identifiers in practice (CamelCase); this keeps them safe as a path segment. */
const KIND = /^[A-Za-z][A-Za-z0-9]{0,62}$/;

/** Validates a GVK's parts and returns a frozen copy; throws InvalidGvkError naming the part. */
export function gvk(group: string, version: string, kind: string): GroupVersionKind {
  if (
    typeof group !== 'string' ||
    (group !== '' && !(group.length <= 253 && DNS1123_SUBDOMAIN.test(group)))
  ) {
    throw new InvalidGvkError(`group ${quoted(group)} is not a DNS-1123 subdomain`, {
      field: 'group',
    });
  }
  // Storage paths spell the core group "core"; a group of that name would share its records.
  if (group === 'core') {
    throw new InvalidGvkError('group "core" is ambiguous: the core group is the empty string', {
      field: 'group',
    });
  }
  if (typeof version !== 'string' || !(version.length <= 63 && DNS1123_LABEL.test(version))) {
    throw new InvalidGvkError(`version ${quoted(version)} is not a DNS-1123 label`, {
      field: 'version',
    });
  }
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw new InvalidGvkError(`kind ${quoted(kind)} must be alphanumeric and start with a letter`, {
      field: 'kind',
    });
  }
  return Object.freeze({ group, version, kind });
}

/** Derives the GVK from `apiVersion` ("v1" for the core group, "group/version" otherwise) and `kind`. */
export function gvkFromApiVersion(apiVersion: string, kind: string): GroupVersionKind {
  if (typeof apiVersion !== 'string') {
    throw new InvalidGvkError(`apiVersion must be a string, got ${quoted(apiVersion)}`, {
      field: 'apiVersion',
    });
  }
  const slash = apiVersion.indexOf('/');
  if (slash === -1) return gvk('', apiVersion, kind);
  if (apiVersion.indexOf('/', slash + 1) !== -1) {
    throw new InvalidGvkError(`apiVersion ${quoted(apiVersion)} has more than one "/"`, {
      field: 'apiVersion',
    });
  }
  return gvk(apiVersion.slice(0, slash), apiVersion.slice(slash + 1), kind);
}

/**
 * The API group of stowage's own records (encrypted secrets). Public calls may not name it, so plain
 * getObject/getAllObjects can never reach that key space; only the internal record channel can.
 */
export const RESERVED_GROUP = 'internal.stowage.io';

export function isReservedGroup(group: string): boolean {
  if (typeof group !== 'string') return false;
  return group === RESERVED_GROUP || group.endsWith(`.${RESERVED_GROUP}`);
}

/** Throws ReservedGroupError for a GVK in the reserved group; public entry points call it. */
export function rejectReservedGroup(value: GroupVersionKind): GroupVersionKind {
  if (isReservedGroup(value.group)) {
    const message = `group ${quoted(value.group)} is reserved for stowage's own records`;
    throw new ReservedGroupError(message, { field: 'group' });
  }
  return value;
}

/** Re-validates a GVK that came from outside (a caller, another thread); the reserved group is refused. */
export function checkGvk(value: GroupVersionKind): GroupVersionKind {
  return rejectReservedGroup(checkAnyGvk(value));
}

/**
 * For the internal record channel: the GVK must be in the reserved group, so that channel can never
 * write unvalidated bytes where plain objects live.
 */
export function checkReservedGvk(value: GroupVersionKind): GroupVersionKind {
  const checked = checkAnyGvk(value);
  if (!isReservedGroup(checked.group)) {
    throw new InvalidGvkError(`internal records must use the ${RESERVED_GROUP} group`, { field: 'group' });
  }
  return checked;
}

/** Validates a GVK's shape without refusing the reserved group. */
export function checkAnyGvk(value: GroupVersionKind): GroupVersionKind {
  if (value === null || typeof value !== 'object') {
    throw new InvalidGvkError('gvk must be an object with group, version and kind', { field: 'gvk' });
  }
  let fields: [unknown, unknown, unknown];
  try {
    fields = [value.group, value.version, value.kind];
  } catch (error) {
    // A getter or a Proxy's trap: a caller's error, typed like every other refusal of the GVK.
    throw new InvalidGvkError(`gvk could not be read: ${thrownText(error)}`, { field: 'gvk' });
  }
  return gvk(...(fields as [string, string, string]));
}

export function apiVersionOf(value: GroupVersionKind): string {
  return value.group === '' ? value.version : `${value.group}/${value.version}`;
}

/** A compact, unambiguous string form, e.g. `apps/v1/Deployment` or `core/v1/Pod`. */
export function gvkString(value: GroupVersionKind): string {
  return `${value.group === '' ? 'core' : value.group}/${value.version}/${value.kind}`;
}

/** The inverse of gvkString, validating as it goes. */
export function parseGvkString(text: string): GroupVersionKind {
  if (typeof text !== 'string')
    throw new InvalidGvkError(`a GVK string must be a string, got ${quoted(text)}`, { field: 'gvk' });
  const parts = text.split('/');
  if (parts.length !== 3)
    throw new InvalidGvkError(`${quoted(text)} is not group/version/kind`, { field: 'gvk' });
  const [group, version, kind] = parts as [string, string, string];
  return gvk(group === 'core' ? '' : group, version, kind);
}
