import { writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Complete positional writes. A write may write less than asked without failing: a disk that
 * fills up mid-write writes what fits, and only the next write fails, with ENOSPC. Writing the
 * rest until done or until a call throws gives the caller that errno (ioError() puts it in
 * `details.errno`) instead of an anonymous "short write".
 */

/** Writes every byte of `buffers` at `position` through libuv's thread pool. */
export async function writevFully(
  handle: FileHandle,
  buffers: readonly Uint8Array[],
  position: number,
): Promise<void> {
  let pending = buffers;
  let at = position;
  for (;;) {
    const { bytesWritten } = await handle.writev(pending as Uint8Array[], at);
    const rest = after(pending, bytesWritten);
    if (rest.length === 0) return;
    if (bytesWritten === 0) throw new Error(`a write at offset ${at} wrote nothing`);
    pending = rest;
    at += bytesWritten;
  }
}

/** writevFully() with blocking calls, for a worker whose thread is its own. */
export function writevFullySync(fd: number, buffers: readonly Uint8Array[], position: number): void {
  let pending = buffers;
  let at = position;
  for (;;) {
    const bytesWritten = writevSync(fd, pending as Uint8Array[], at);
    const rest = after(pending, bytesWritten);
    if (rest.length === 0) return;
    if (bytesWritten === 0) throw new Error(`a write at offset ${at} wrote nothing`);
    pending = rest;
    at += bytesWritten;
  }
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
