import { type GroupVersionKind, gvkFromApiVersion } from '../contract/gvk.js';
import { checkObjectKey } from '../contract/object-key.js';
import { InvalidGvkError, InvalidKeyError, InvalidSecretError } from '../errors/index.js';
import { checkSecretAddress, checkSecretNamespaceFilter } from '../secrets/secret-provider.js';
import { UsageError } from './output.js';

/** `<apiVersion> <kind>` positionals, e.g. `apps/v1 Deployment` or `v1 ConfigMap`. */
export function gvkArgs(apiVersion: string | undefined, kind: string | undefined): GroupVersionKind {
  if (apiVersion === undefined || kind === undefined) throw new UsageError('expected <apiVersion> <kind>');
  // A command line that names no valid GVK is a usage error (exit 2), like one that names none.
  return asUsageError(InvalidGvkError, () => gvkFromApiVersion(apiVersion, kind));
}

/** A `<key>` positional of `gvk` (`name` or `namespace/name`), refused as a usage error (exit 2). */
export function keyArg(gvk: GroupVersionKind, key: string | undefined): void {
  asUsageError(InvalidKeyError, () => checkObjectKey(gvk, key));
}

/**
 * The `<namespace> <name>` of a secret verb (`name` undefined: `secret list`'s optional namespace
 * alone), refused as a usage error (exit 2) before the instance is opened or a secret read.
 */
export function secretArgs(namespace: string | undefined, name: string | undefined): void {
  asUsageError(InvalidSecretError, () =>
    name === undefined ? checkSecretNamespaceFilter(namespace) : checkSecretAddress(namespace, name),
  );
}

/** Runs the library's own check of an argument; its refusal is the command line's usage error. */
function asUsageError<T>(refusal: new (...args: never[]) => Error, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof refusal) throw new UsageError(error.message);
    throw error;
  }
}

export function requireArg(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}
