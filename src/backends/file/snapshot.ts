import { rename, unlink } from 'node:fs/promises';
import { BatchEncoder, type BatchRecord, type EncodedBatch, recordBytesAtMost } from './batch-encoder.js';
import { encodeHeader, FileType, RecordOp } from './format.js';
import {
  createFile,
  FILE_FLAGS,
  ioError,
  type OpenFile,
  pathIn,
  snapshotName,
  syncDirectory,
} from './layout.js';
import type { IndexState } from './record-index.js';
import { writevFully } from './write-fully.js';

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
    const handle = await createFile(openFile, temporary, FILE_FLAGS.create);
    try {
      const header = encodeHeader(FileType.Snapshot, generation, count);
      await writevFully(handle, [header], 0);
      position = header.length;
      for (const batch of batches(state)) {
        await writevFully(handle, batch.buffers, position);
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

/**
 * Groups the state into checksummed batches of about BATCH_TARGET_BYTES. Each batch is encoded into
 * the same buffer, so the caller writes one before taking the next.
 */
function* batches(state: IndexState): Generator<EncodedBatch> {
  const encoder = new BatchEncoder();
  let records: BatchRecord[] = [];
  let bytes = 0;
  for (const [gvk, entries] of state) {
    for (const [key, value] of entries) {
      const record = { op: RecordOp.Put, gvk, key, value };
      const size = recordBytesAtMost(record);
      // A record that would take the batch past its target starts the next one, so a value too
      // large for any batch to share (up to MAX_VALUE_BYTES) goes alone and its length fits 32 bits.
      if (records.length > 0 && bytes + size > BATCH_TARGET_BYTES) {
        yield encoder.encode(records);
        records = [];
        bytes = 0;
      }
      records.push(record);
      bytes += size;
    }
  }
  if (records.length > 0) yield encoder.encode(records);
}
