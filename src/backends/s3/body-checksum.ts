import { CorruptObjectError } from '../../errors/index.js';
import { crc32 } from '../file/crc32.js';

/**
 * The user metadata (`x-amz-meta-stowage-crc32`) that carries the CRC-32 of the body stowage wrote,
 * so a read can tell a body changed in transit or at rest from the one stored. S3's own checksums
 * do not do it everywhere: radosgw 16 returns none, so a flipped byte came back unnoticed.
 */
const CHECKSUM_KEY = 'stowage-crc32';

export function checksumMetadata(bytes: Uint8Array): Record<string, string> {
  return { [CHECKSUM_KEY]: hex(crc32(bytes)) };
}

/**
 * The error for `bytes`, read from `path`, when they do not match the checksum stored with them;
 * undefined when they do, or when none was stored (an object written before stowage stored one, or
 * by another tool).
 */
export function checksumMismatch(
  path: string,
  bytes: Uint8Array,
  metadata: Record<string, string> | undefined,
): CorruptObjectError | undefined {
  const stored = metadata?.[CHECKSUM_KEY];
  if (stored === undefined) return undefined;
  const read = hex(crc32(bytes));
  if (read === stored) return undefined;
  return new CorruptObjectError(
    `the S3 object ${path} read back with CRC-32 ${read}, not the ${quotedChecksum(stored)} stored with it: its bytes changed in transit or in the store`,
    { where: path },
  );
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/** Metadata is the store's to give back, so it is shown only when it is shaped like a checksum. */
function quotedChecksum(stored: string): string {
  return /^[0-9a-f]{8}$/.test(stored) ? stored : 'malformed checksum';
}
