import { InvalidGvkError, InvalidKeyError } from '../../errors/index.js';
import { crc32 } from './crc32.js';

/**
 * The on-disk format, version 1 (docs/file-format.md is the reference). Every file starts with a
 * 24-byte header; the rest is a sequence of checksummed batches, each holding whole records:
 *
 *   header: "STOW" | u16 version | u8 file type | u8 0 | u32 generation | u32 records | u32 0 | u32 crc
 *   batch:  0xFF 'S' 'B' 0x01 | u32 crc | u32 payload length | u32 record count | payload
 *   record: u8 op | u16 gvk length | u16 key length | u32 value length | gvk | key | value
 *
 * All integers are little-endian; checksums are CRC-32 (zlib). A batch is one group commit, so a
 * crash can tear at most the last batch of the active log. batch-encoder.ts writes batches.
 */
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 24;
export const BATCH_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 9;
/**
 * The largest value a record holds: record and batch lengths are 32-bit, and a record's head (9
 * bytes, a GVK and a key of at most 64 KiB each) and a batch header must fit beside it.
 */
export const MAX_VALUE_BYTES = 2 ** 32 - 2 ** 18;

const FILE_MAGIC = Buffer.from('STOW', 'latin1');
/** 0xFF and 0x01 never occur in canonical JSON, so only a binary value could hold a marker. */
export const BATCH_MARKER = Buffer.from([0xff, 0x53, 0x42, 0x01]);
const BATCH_MARKER_U32 = BATCH_MARKER.readUInt32LE(0);

export const FileType = { Log: 1, Snapshot: 2 } as const;
export type FileType = (typeof FileType)[keyof typeof FileType];

export const RecordOp = { Put: 1, Delete: 2 } as const;
export type RecordOp = (typeof RecordOp)[keyof typeof RecordOp];

export interface FileHeader {
  readonly version: number;
  readonly type: FileType;
  readonly generation: number;
  /** Snapshots record how many records follow, so a short snapshot is detected; logs write 0. */
  readonly records: number;
}

export function encodeHeader(type: FileType, generation: number, records = 0): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  FILE_MAGIC.copy(header, 0);
  header.writeUInt16LE(FORMAT_VERSION, 4);
  header.writeUInt8(type, 6);
  header.writeUInt32LE(generation, 8);
  header.writeUInt32LE(records, 12);
  header.writeUInt32LE(crc32(header.subarray(0, 20)), 20);
  return header;
}

export type HeaderCheck =
  | { readonly ok: true; readonly header: FileHeader }
  | { readonly ok: false; readonly reason: 'short' | 'magic' | 'checksum' };

/** Parses a header; a short or all-zero header is a file whose creation was torn by a crash. */
export function decodeHeader(bytes: Buffer): HeaderCheck {
  if (bytes.length < HEADER_BYTES || bytes.subarray(0, HEADER_BYTES).every((b) => b === 0)) {
    return { ok: false, reason: 'short' };
  }
  if (!bytes.subarray(0, 4).equals(FILE_MAGIC)) return { ok: false, reason: 'magic' };
  if (bytes.readUInt32LE(20) !== crc32(bytes.subarray(0, 20))) return { ok: false, reason: 'checksum' };
  return {
    ok: true,
    header: {
      version: bytes.readUInt16LE(4),
      type: bytes.readUInt8(6) as FileType,
      generation: bytes.readUInt32LE(8),
      records: bytes.readUInt32LE(12),
    },
  };
}

/** GVKs and keys longer than this in UTF-8 do not fit a record head's 16-bit lengths. */
export const MAX_NAME_BYTES = 0xffff;

/**
 * Refuses a GVK or key that a record head cannot hold exactly: over MAX_NAME_BYTES, or holding a
 * lone surrogate, which UTF-8 would store as U+FFFD, so that the name read back at the next open
 * would differ (and two names could become one). Validated names are far shorter (a key's
 * namespace is at most 63 characters, its name 253) and plain, so the bytes are counted only for
 * strings that could be too long.
 */
export function checkRecordNames(gvk: string, key: string): void {
  const gvkProblem = nameProblem(gvk);
  if (gvkProblem) throw new InvalidGvkError(`a GVK ${gvkProblem.why}`, gvkProblem.details);
  const keyProblem = nameProblem(key);
  if (keyProblem) throw new InvalidKeyError(`a key ${keyProblem.why}`, keyProblem.details);
}

function nameProblem(name: string): { why: string; details: Record<string, number> } | undefined {
  if (!name.isWellFormed()) {
    return {
      why: 'holding a lone UTF-16 surrogate cannot be stored exactly in the file format',
      details: {},
    };
  }
  if (name.length <= MAX_NAME_BYTES / 3) return undefined;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes <= MAX_NAME_BYTES) return undefined;
  return {
    why: `of ${bytes} UTF-8 bytes is over the file format's limit of ${MAX_NAME_BYTES}`,
    details: { bytes, limit: MAX_NAME_BYTES },
  };
}

/** The end offset of a valid batch starting at `offset`, or -1 when there is none there. */
export function validBatchEnd(bytes: Buffer, offset: number): number {
  if (bytes.length - offset < BATCH_HEADER_BYTES) return -1;
  if (bytes.readUInt32LE(offset) !== BATCH_MARKER_U32) return -1;
  const end = offset + BATCH_HEADER_BYTES + bytes.readUInt32LE(offset + 8);
  if (end > bytes.length) return -1;
  return crc32(bytes.subarray(offset + 8, end)) === bytes.readUInt32LE(offset + 4) ? end : -1;
}

/** Receives each decoded record; `value` is a view into the file's bytes (copy before keeping it). */
export type RecordSink = (op: RecordOp, gvk: string, key: string, value: Buffer) => void;

/**
 * Decodes the records of a batch whose checksum already matched. Returns false when the payload is
 * not well-formed despite its checksum, which only a writer bug or a forged batch can produce.
 */
export function decodeBatch(bytes: Buffer, offset: number, end: number, sink: RecordSink): boolean {
  const count = bytes.readUInt32LE(offset + 12);
  let p = offset + BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (end - p < RECORD_HEADER_BYTES) return false;
    const op = bytes[p] as RecordOp;
    const gvkEnd = p + RECORD_HEADER_BYTES + bytes.readUInt16LE(p + 1);
    const keyEnd = gvkEnd + bytes.readUInt16LE(p + 3);
    const valueEnd = keyEnd + bytes.readUInt32LE(p + 5);
    if (valueEnd > end || (op !== RecordOp.Put && op !== RecordOp.Delete)) return false;
    if (op === RecordOp.Delete && valueEnd !== keyEnd) return false;
    sink(
      op,
      bytes.toString('utf8', p + RECORD_HEADER_BYTES, gvkEnd),
      bytes.toString('utf8', gvkEnd, keyEnd),
      bytes.subarray(keyEnd, valueEnd),
    );
    p = valueEnd;
  }
  return p === end;
}
