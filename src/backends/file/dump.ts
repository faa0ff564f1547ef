import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { FileIoError, StowageError } from '../../errors/index.js';
import { parseJsonBytes } from '../../objects/codec.js';
import { ioError } from './layout.js';
import { RecordIndex } from './record-index.js';
import { type RecoveryReport, recover } from './recovery.js';

/**
 * Writes every record of the instance in `dir` to `out` as JSON lines:
 * `{"gvk":"apps/v1/Deployment","key":"default/web","object":{…}}`, one per record, GVKs and keys
 * sorted. A record that is not valid JSON is written as `"invalid":true` with its byte length.
 *
 * It only reads: it takes no lock and repairs nothing, so it is safe on a live instance (a torn
 * tail being written is skipped and reported, not truncated). Returns what was read.
 */
export async function dumpJsonLines(dir: string, out: Writable): Promise<RecoveryReport> {
  const path = resolve(dir);
  const { index, report } = await readLive(path);
  for (const gvk of index.gvks().sort()) {
    const records = index.list(gvk).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, bytes] of records) {
      if (!out.write(`${line(gvk, key, bytes)}\n`)) await once(out, 'drain');
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

function line(gvk: string, key: string, bytes: Uint8Array): string {
  try {
    return JSON.stringify({ gvk, key, object: parseJsonBytes(bytes) });
  } catch {
    return JSON.stringify({ gvk, key, invalid: true, bytes: bytes.length });
  }
}
