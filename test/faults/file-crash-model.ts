import { gvk, type ObjectKey } from '../../src/index.js';

/**
 * The write sequence the crash test's child performs and its parent checks: each key goes through
 * versions 0, 1, 2, …, one at a time; every seventh version is a delete, the others put a value
 * whose bytes are a pure function of (key, version), so the parent can recognize any version.
 */
export const CRASH_KIND = gvk('', 'v1', 'ConfigMap');
export const CRASH_KEYS = Array.from({ length: 40 }, (_, i) => `crash/key-${i}` as ObjectKey);

/** Small thresholds, so compactions run often and kills land inside them. */
export const CRASH_BACKEND_OPTIONS = { compactMinBytes: 128 * 1024, compactGarbageRatio: 0.5 };

export function isDelete(version: number): boolean {
  return version % 7 === 6;
}

/** The value of a put, 100 B to 4 KiB; undefined for a delete or before version 0. */
export function expectedValue(key: string, version: number): Buffer | undefined {
  if (version < 0 || isDelete(version)) return undefined;
  let hash = version * 2654435761;
  for (const c of key) hash = Math.imul(hash ^ c.charCodeAt(0), 16777619);
  const pad = String.fromCharCode(97 + (version % 26)).repeat(100 + (Math.abs(hash) % 3996));
  return Buffer.from(JSON.stringify({ key, version, pad }));
}
