import { type GroupVersionKind, gvkFromApiVersion } from '../contract/gvk.js';
import { checkObjectKey } from '../contract/object-key.js';
import { InvalidGvkError, InvalidKeyError, InvalidSecretError } from '../errors/index.js';
import { checkSecretAddress } from '../secrets/secret-provider.js';
import { UsageError } from './output.js';

/** `<apiVersion> <kind>` positionals, e.g. `apps/v1 Deployment` or `v1 ConfigMap`. */
export function gvkArgs(apiVersion: string | undefined, kind: string | undefined): GroupVersionKind {
  if (apiVersion === undefined || kind === undefined) throw new UsageError('expected <apiVersion> <kind>');
  try {
    return gvkFromApiVersion(apiVersion, kind);
  } catch (error) {
    // A command line that names no valid GVK is a usage error (exit 2), like one that names none.
    if (error instanceof InvalidGvkError) throw new UsageError(error.message);
    throw error;
  }
}

/** A `<key>` positional of `gvk` (`name` or `namespace/name`), refused as a usage error (exit 2). */
export function keyArg(gvk: GroupVersionKind, key: string | undefined): void {
  try {
    checkObjectKey(gvk, key);
  } catch (error) {
    if (error instanceof InvalidKeyError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The `<namespace> <name>` of a secret verb (`name` undefined: `secret list`'s optional namespace
 * alone), refused as a usage error (exit 2) before the instance is opened or a secret read.
 */
export function secretArgs(namespace: string | undefined, name: string | undefined): void {
  if (namespace === undefined) return;
  if (name === undefined && namespace === '') {
    throw new UsageError('secret namespace, when given, must not be empty');
  }
  try {
    checkSecretAddress(namespace, name ?? 'any');
  } catch (error) {
    if (error instanceof InvalidSecretError) throw new UsageError(error.message);
    throw error;
  }
}

export function requireArg(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}
