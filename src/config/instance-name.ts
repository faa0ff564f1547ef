import { createHash } from 'node:crypto';

/**
 * `<kind>-<12 hex digits of sha256(identity)>`: stable across restarts for the same identifying
 * configuration (a resolved path; endpoint + bucket + prefix), and free of any secret.
 */
export function instanceName(kind: string, identity: string): string {
  return `${kind}-${createHash('sha256').update(identity).digest('hex').slice(0, 12)}`;
}
