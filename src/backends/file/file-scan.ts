import { CorruptLogError, UnsupportedFormatError } from '../../errors/index.js';
import {
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
 * Reads every whole batch of one file into `sink`. Damage followed by no valid batch is a torn
 * tail (group commit writes the next batch only after the previous one is durable, so only the
 * last can tear); damage followed by a valid batch is corruption of acknowledged data, and throws.
 */
export function scanFile(bytes: Buffer, file: string, type: FileType, sink: RecordSink): ScanResult {
  const checked = decodeHeader(bytes);
  if (!checked.ok) {
    if (checked.reason === 'short') return { kind: 'unborn', bytes: bytes.length };
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
  while (offset < bytes.length) {
    const end = validBatchEnd(bytes, offset);
    if (end < 0) break;
    if (!decodeBatch(bytes, offset, end, counting)) {
      throw new CorruptLogError(`${file} has a malformed batch at offset ${offset}`, { file, offset });
    }
    offset = end;
  }
  if (offset < bytes.length) {
    const next = nextValidBatch(bytes, offset + 1);
    if (next >= 0) {
      throw new CorruptLogError(
        `${file} is corrupt at offset ${offset}: the batch there fails its checksum, yet a valid batch follows at offset ${next}`,
        { file, offset },
      );
    }
  }
  return { kind: 'read', header, goodEnd: offset, droppedBytes: bytes.length - offset, records };
}

function nextValidBatch(bytes: Buffer, from: number): number {
  for (let at = bytes.indexOf(BATCH_MARKER, from); at >= 0; at = bytes.indexOf(BATCH_MARKER, at + 1)) {
    if (validBatchEnd(bytes, at) >= 0) return at;
  }
  return -1;
}
