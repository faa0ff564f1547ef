import { rename, unlink } from 'node:fs/promises';
import { encodeBatchHeader, encodeHeader, encodeRecordHead, FileType, RecordOp } from './format.js';
import {
  checkWritten,
  FILE_MODE,
  ioError,
  type OpenFile,
  pathIn,
  snapshotName,
  syncDirectory,
} from './layout.js';
import type { IndexState } from './record-index.js';

/** Snapshot batches stay near this size, so one batch never needs a huge buffer or iovec. */
const BATCH_TARGET_BYTES = 1 << 20;

/**
 * Writes `state` as `snapshot-<generation>`: to a temporary file, synced, renamed into place, and
 * the directory synced. A crash at any point leaves either no snapshot (the logs still hold
 * everything) or a complete one. Returns the snapshot's size in bytes.
 */
export async function writeSnapshot(
  dir: string,
  generation: number,
  state: IndexState,
  openFile: OpenFile,
): Promise<number> {
  const name = snapshotName(generation);
  const temporary = pathIn(dir, `${name}.tmp`);
  let count = 0;
  for (const records of state.values()) count += records.size;
  let position = 0;
  try {
    const handle = await openFile(temporary, 'w', FILE_MODE);
    try {
      const header = encodeHeader(FileType.Snapshot, generation, count);
      await handle.write(header, 0, header.length, 0);
      position = header.length;
      for (const batch of batches(state)) {
        checkWritten((await handle.writev(batch.buffers, position)).bytesWritten, batch.bytes);
        position += batch.bytes;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, pathIn(dir, name));
    await syncDirectory(dir);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw ioError('snapshot', name, error);
  }
  return position;
}

/** Groups the state into checksummed batches; values are written from the index, not copied. */
function* batches(state: IndexState): Generator<{ buffers: Uint8Array[]; bytes: number }> {
  let parts: Uint8Array[] = [];
  let payload = 0;
  let records = 0;
  const flush = () => {
    const header = encodeBatchHeader(parts, payload, records);
    const batch = { buffers: [header, ...parts], bytes: header.length + payload };
    parts = [];
    payload = 0;
    records = 0;
    return batch;
  };
  for (const [gvk, entries] of state) {
    for (const [key, value] of entries) {
      const head = encodeRecordHead(RecordOp.Put, gvk, key, value.byteLength);
      parts.push(head, value);
      payload += head.length + value.byteLength;
      records++;
      if (payload >= BATCH_TARGET_BYTES || parts.length >= 1000) yield flush();
    }
  }
  if (records > 0) yield flush();
}
