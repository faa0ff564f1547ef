import { type GroupVersionKind, gvkFromApiVersion } from '../contract/gvk.js';
import { UsageError } from './output.js';

/** `<apiVersion> <kind>` positionals, e.g. `apps/v1 Deployment` or `v1 ConfigMap`. */
export function gvkArgs(apiVersion: string | undefined, kind: string | undefined): GroupVersionKind {
  if (apiVersion === undefined || kind === undefined) throw new UsageError('expected <apiVersion> <kind>');
  return gvkFromApiVersion(apiVersion, kind);
}

export function requireArg(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}
