import { CorruptLogError, UnsupportedFormatError } from '../../errors/index.js';
import type { ChunkReader } from './chunk-reader.js';
import {
  BATCH_HEADER_BYTES,
  BATCH_MARKER,
  decodeBatch,
  decodeHeader,
  type FileHeader,
  type FileType,
  FORMAT_VERSION,
  HEADER_BYTES,
  type RecordSink,
  validBatchEnd,
} from './format.js';

export type ScanResult =
  /** A file whose creation a crash tore before its header was durable: it holds no records. */
  | { readonly kind: 'unborn'; readonly bytes: number }
  | {
      readonly kind: 'read';
      readonly header: FileHeader;
      /** Where the last whole batch ends; everything after it is a torn tail. */
      readonly goodEnd: number;
      readonly droppedBytes: number;
      readonly records: number;
    };

/**
 * Reads every whole batch of one file into `sink`, a chunk at a time. Damage followed by no valid
 * batch is a torn tail (group commit writes the next batch only after the previous one is durable,
 * so only the last can tear); damage followed by a valid batch is corruption of acknowledged data,
 * and throws.
 */
export async function scanFile(
  reader: ChunkReader,
  file: string,
  type: FileType,
  sink: RecordSink,
): Promise<ScanResult> {
  const checked = decodeHeader(await reader.at(0, HEADER_BYTES));
  if (!checked.ok) {
    if (checked.reason === 'short') return { kind: 'unborn', bytes: reader.size };
    throw new CorruptLogError(`${file} has a damaged header (${checked.reason})`, { file, offset: 0 });
  }
  const { header } = checked;
  if (header.version !== FORMAT_VERSION) {
    throw new UnsupportedFormatError(
      `${file} is format version ${header.version}; this build reads version ${FORMAT_VERSION}`,
      { file, version: header.version },
    );
  }
  if (header.type !== type) {
    throw new CorruptLogError(`${file} has file type ${header.type}, expected ${type}`, { file, offset: 0 });
  }
  let offset = HEADER_BYTES;
  let records = 0;
  const counting: RecordSink = (op, gvk, key, value) => {
    records++;
    sink(op, gvk, key, value);
  };
  while (offset < reader.size) {
    const batch = await wholeBatchAt(reader, offset);
    const end = batch ? validBatchEnd(batch, 0) : -1;
    if (!batch || end < 0) break;
    if (!decodeBatch(batch, 0, end, counting)) {
      throw new CorruptLogError(`${file} has a malformed batch at offset ${offset}`, { file, offset });
    }
    offset += end;
  }
  if (offset < reader.size) {
    // Only damaged files get here: is there a valid batch after the damage?
    const next = await nextValidBatch(reader, offset + 1);
    if (next >= 0) {
      throw new CorruptLogError(
        `${file} is corrupt at offset ${offset}: the batch there fails its checksum, yet a valid batch follows at offset ${next}`,
        { file, offset },
      );
    }
  }
  return { kind: 'read', header, goodEnd: offset, droppedBytes: reader.size - offset, records };
}

/** How much of a damaged file's rest is searched for a batch marker at a time. */
const SEARCH_WINDOW_BYTES = 8 * 1024 * 1024;

/** The bytes the batch header at `offset` claims as its batch, or undefined when there is no header. */
async function wholeBatchAt(reader: ChunkReader, offset: number): Promise<Buffer | undefined> {
  const head = await reader.at(offset, BATCH_HEADER_BYTES);
  if (head.length < BATCH_HEADER_BYTES || !head.subarray(0, 4).equals(BATCH_MARKER)) return undefined;
  return reader.at(offset, BATCH_HEADER_BYTES + head.readUInt32LE(8));
}

/**
 * The offset of the first valid batch at or after `from`, or -1. Searched a chunk at a time, not by
 * reading the rest of the file whole: a log's rest can be over 2 GiB, more than one read can take.
 */
async function nextValidBatch(reader: ChunkReader, from: number): Promise<number> {
  let at = from;
  while (at < reader.size) {
    const window = await reader.at(at, SEARCH_WINDOW_BYTES);
    if (window.length < BATCH_MARKER.length) return -1;
    const found = window.indexOf(BATCH_MARKER);
    if (found < 0) {
      // A marker cut by the window's end is found whole in the next.
      at += window.length - (BATCH_MARKER.length - 1);
      continue;
    }
    const candidate = at + found;
    const batch = await wholeBatchAt(reader, candidate);
    if (batch && validBatchEnd(batch, 0) >= 0) return candidate;
    at = candidate + 1;
  }
  return -1;
}
