import { writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Complete positional writes. A write may write less than asked without failing: a disk that
 * fills up mid-write writes what fits, and only the next write fails, with ENOSPC. Writing the
 * rest until done or until a call throws gives the caller that errno (ioError() puts it in
 * `details.errno`) instead of an anonymous "short write".
 */

/**
 * The most one writev is asked to write. Node reports a count of 2 GiB or more as a negative
 * 32-bit number: taken at its word, a 2 GiB value's batch was written again at offset 0, over the
 * log's header, until the disk was full.
 */
export const MAX_WRITE_BYTES = 2 ** 30;

/** Writes every byte of `buffers` at `position` through libuv's thread pool. */
export async function writevFully(
  handle: FileHandle,
  buffers: readonly Uint8Array[],
  position: number,
  maxWriteBytes = MAX_WRITE_BYTES,
): Promise<void> {
  let pending = buffers;
  let at = position;
  for (;;) {
    const part = upTo(pending, maxWriteBytes);
    if (part.bytes === 0) return;
    const { bytesWritten } = await handle.writev(part.buffers as Uint8Array[], at);
    checkWritten(bytesWritten, part.bytes, at);
    pending = after(pending, bytesWritten);
    at += bytesWritten;
  }
}

/** writevFully() with blocking calls, for a worker whose thread is its own. */
export function writevFullySync(
  fd: number,
  buffers: readonly Uint8Array[],
  position: number,
  maxWriteBytes = MAX_WRITE_BYTES,
): void {
  let pending = buffers;
  let at = position;
  for (;;) {
    const part = upTo(pending, maxWriteBytes);
    if (part.bytes === 0) return;
    const bytesWritten = writevSync(fd, part.buffers as Uint8Array[], at);
    checkWritten(bytesWritten, part.bytes, at);
    pending = after(pending, bytesWritten);
    at += bytesWritten;
  }
}

function checkWritten(written: number, asked: number, at: number): void {
  if (written === 0) throw new Error(`a write at offset ${at} wrote nothing`);
  if (!(written > 0 && written <= asked)) {
    throw new Error(`a write of ${asked} bytes at offset ${at} reported ${written} bytes written`);
  }
}

/** The first buffers of `buffers`, cut to at most `limit` bytes in all. */
function upTo(
  buffers: readonly Uint8Array[],
  limit: number,
): { buffers: readonly Uint8Array[]; bytes: number } {
  const part: Uint8Array[] = [];
  let bytes = 0;
  for (const buffer of buffers) {
    if (bytes + buffer.length > limit) {
      if (bytes < limit) part.push(buffer.subarray(0, limit - bytes));
      return { buffers: part, bytes: limit };
    }
    part.push(buffer);
    bytes += buffer.length;
  }
  return { buffers: part, bytes };
}

/** What is left of `buffers` once their first `bytes` are written. */
function after(buffers: readonly Uint8Array[], bytes: number): readonly Uint8Array[] {
  let skip = bytes;
  for (let i = 0; i < buffers.length; i++) {
    const buffer = buffers[i] as Uint8Array;
    if (skip < buffer.length) return [buffer.subarray(skip), ...buffers.slice(i + 1)];
    skip -= buffer.length;
  }
  return [];
}
