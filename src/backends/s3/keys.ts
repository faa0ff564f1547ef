import { type GroupVersionKind, gvkString } from '../../contract/gvk.js';
import { checkObjectKey, makeObjectKey, type ObjectKey } from '../../contract/object-key.js';
import { CorruptObjectError } from '../../errors/index.js';
import { quoted } from '../../errors/quoted.js';

/**
 * The key layout of DESIGN.md §3:
 *
 *   <prefix>/<group|core>/<version>/<kind>/<namespace|_cluster>/<name>.json
 *
 * `_cluster` cannot collide with a namespace (namespaces are DNS-1123 labels, which never start with
 * `_`), and `_stowage/` beside the groups holds stowage's own markers for the same reason. Every GVK
 * prefix ends in `/`, so listing kind `Machine` never sees `MachineSet`.
 */

const CLUSTER_SCOPE = '_cluster';
const SUFFIX = '.json';

/** Where stowage's own markers live, beside the groups. */
export const STOWAGE_DIR = '_stowage';

/** The listing prefix under which every group lives: `<prefix>/`, or empty. */
export function rootPrefix(prefix: string): string {
  return prefix === '' ? '' : `${prefix}/`;
}

/** The listing prefix of one GVK, ending in `/`. */
export function gvkPrefix(prefix: string, gvk: GroupVersionKind): string {
  return `${rootPrefix(prefix)}${gvk.group === '' ? 'core' : gvk.group}/${gvk.version}/${gvk.kind}/`;
}

/** The S3 key of one object; `key` was validated by the ObjectStore above. */
export function objectPath(prefix: string, gvk: GroupVersionKind, key: ObjectKey): string {
  const slash = key.indexOf('/');
  const scope = slash === -1 ? CLUSTER_SCOPE : key.slice(0, slash);
  return `${gvkPrefix(prefix, gvk)}${scope}/${key.slice(slash + 1)}${SUFFIX}`;
}

/** Where `open()` writes and removes its writability check. */
export function markerPath(prefix: string, machineId: string): string {
  return `${rootPrefix(prefix)}${STOWAGE_DIR}/open-check-${machineId}`;
}

/**
 * Turns a listed S3 key back into an ObjectKey, validating it as strictly as a caller's key: a
 * foreign or planted key under our prefix is reported as corrupt, never handed up unchecked. The
 * message names the key, since finding it in the bucket is the operator's next step.
 */
export function keyFromPath(prefix: string, gvk: GroupVersionKind, path: string): ObjectKey {
  const key = stowageKey(prefix, gvk, path);
  if (key !== undefined) return key;
  throw new CorruptObjectError(
    `the S3 key ${quoted(path)} under the prefix of kind ${gvkString(gvk)} is not one stowage writes, so the kind cannot be listed: stowage owns every key under its prefix; move that object elsewhere`,
    { where: path },
  );
}

/** The ObjectKey a listed S3 key under `gvk`'s prefix stands for, or undefined if it is foreign. */
export function stowageKey(prefix: string, gvk: GroupVersionKind, path: string): ObjectKey | undefined {
  const base = gvkPrefix(prefix, gvk);
  const rest = path.startsWith(base) && path.endsWith(SUFFIX) ? path.slice(base.length, -SUFFIX.length) : '';
  const slash = rest.indexOf('/');
  if (slash > 0 && rest.indexOf('/', slash + 1) === -1) {
    const scope = rest.slice(0, slash);
    const name = rest.slice(slash + 1);
    try {
      return checkObjectKey(gvk, scope === CLUSTER_SCOPE ? name : makeObjectKey(scope, name));
    } catch {
      // Not a key stowage could have written.
    }
  }
  return undefined;
}
