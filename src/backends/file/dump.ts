import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { isReservedGroup, parseGvkString } from '../../contract/gvk.js';
import type { ObjectKey } from '../../contract/object-key.js';
import { FileIoError, StowageError } from '../../errors/index.js';
import { decodeObject, parseJsonBytes } from '../../objects/codec.js';
import { ioError } from './layout.js';
import { RecordIndex } from './record-index.js';
import { type RecoveryReport, recover } from './recovery.js';

/**
 * Writes every record of the instance in `dir` to `out` as JSON lines:
 * `{"gvk":"apps/v1/Deployment","key":"default/web","object":{…}}`, one per record, GVKs and keys
 * sorted. A record that is not valid JSON is written as `"invalid":true` with its byte length.
 *
 * It only reads: it takes no lock and repairs nothing, so it is safe on a live instance (a torn
 * tail being written is skipped and reported, not truncated) and on a read-only mount. Returns
 * what was read.
 */
export function dumpJsonLines(dir: string, out: Writable): Promise<RecoveryReport> {
  return writeRecords(dir, out, (gvk, key, bytes) => recordLine(gvk, key, bytes));
}

/**
 * Writes the objects of the instance in `dir` to `out` as `stowage dump` does, one object per
 * line, which `put -f` takes back; stowage's own records (encrypted secrets) are left out, as
 * listKinds() leaves them out. It reads as dumpJsonLines() does: no lock, nothing repaired or
 * written. A record that is not a valid object fails it (STOWAGE_CORRUPT_OBJECT), as reading it
 * through an opened instance would.
 */
export function dumpObjects(dir: string, out: Writable): Promise<RecoveryReport> {
  return writeRecords(dir, out, (gvk, key, bytes) => {
    const stored = parseGvkString(gvk);
    if (isReservedGroup(stored.group)) return undefined;
    return JSON.stringify(decodeObject(bytes, { gvk: stored, key: key as ObjectKey }));
  });
}

/** Writes the line `format` makes of each record (none when it returns undefined), GVKs and keys sorted. */
async function writeRecords(
  dir: string,
  out: Writable,
  format: (gvk: string, key: string, bytes: Uint8Array) => string | undefined,
): Promise<RecoveryReport> {
  const { index, report } = await readLive(resolve(dir));
  for (const gvk of index.gvks().sort()) {
    const records = index.list(gvk).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, bytes] of records) {
      const line = format(gvk, key, bytes);
      if (line !== undefined && !out.write(`${line}\n`)) await once(out, 'drain');
    }
  }
  return report;
}

/**
 * How many times a dump reads the directory again when a file it listed was gone by the time it
 * opened it: a live instance's compaction had finished meanwhile and removed the files it replaced
 * (65 of 2,000 dumps of an instance compacting all the time failed so before).
 */
const READ_ATTEMPTS = 5;

async function readLive(path: string): Promise<{ index: RecordIndex; report: RecoveryReport }> {
  for (let attempt = 1; ; attempt++) {
    const index = new RecordIndex();
    try {
      return { index, report: (await recover(path, index, false)).report };
    } catch (error) {
      if (error instanceof FileIoError && error.details.errno === 'ENOENT' && attempt < READ_ATTEMPTS)
        continue;
      // A missing or unreadable directory is a typed error like the backend's own open would give.
      throw error instanceof StowageError ? error : ioError('dump', path, error);
    }
  }
}

function recordLine(gvk: string, key: string, bytes: Uint8Array): string {
  try {
    return JSON.stringify({ gvk, key, object: parseJsonBytes(bytes) });
  } catch {
    return JSON.stringify({ gvk, key, invalid: true, bytes: bytes.length });
  }
}
