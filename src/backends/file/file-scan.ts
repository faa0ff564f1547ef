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
    // Only damaged files get here; the rest of one is read whole to look for a valid batch after it.
    const rest = await reader.at(offset, reader.size - offset);
    const next = nextValidBatch(rest, 1);
    if (next >= 0) {
      throw new CorruptLogError(
        `${file} is corrupt at offset ${offset}: the batch there fails its checksum, yet a valid batch follows at offset ${offset + next}`,
        { file, offset },
      );
    }
  }
  return { kind: 'read', header, goodEnd: offset, droppedBytes: reader.size - offset, records };
}

/** The bytes the batch header at `offset` claims as its batch, or undefined when there is no header. */
async function wholeBatchAt(reader: ChunkReader, offset: number): Promise<Buffer | undefined> {
  const head = await reader.at(offset, BATCH_HEADER_BYTES);
  if (head.length < BATCH_HEADER_BYTES || !head.subarray(0, 4).equals(BATCH_MARKER)) return undefined;
  return reader.at(offset, BATCH_HEADER_BYTES + head.readUInt32LE(8));
}

function nextValidBatch(bytes: Buffer, from: number): number {
  for (let at = bytes.indexOf(BATCH_MARKER, from); at >= 0; at = bytes.indexOf(BATCH_MARKER, at + 1)) {
    if (validBatchEnd(bytes, at) >= 0) return at;
  }
  return -1;
}
