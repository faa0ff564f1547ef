import type { FileHandle } from 'node:fs/promises';

/** Bytes read per call while open scans a file. */
const CHUNK_BYTES = 8 * 1024 * 1024;
/** The most one read is asked for: Node refuses a length of 2^31 or more. */
const MAX_READ_BYTES = 2 ** 30;

/**
 * Reads a file front to back for open's scan, holding one chunk at a time (or one batch, when a
 * batch is larger than a chunk). Reading whole files instead would need the log's size in memory on
 * top of the index being built from it: about twice the data at the peak of every open.
 */
export class ChunkReader {
  /** Reused for every chunk-sized read; larger batches get a buffer of their own. */
  private readonly spare: Buffer;
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;

  constructor(
    private readonly handle: FileHandle,
    /** The file's length in bytes. */
    readonly size: number,
    chunkBytes = CHUNK_BYTES,
  ) {
    this.spare = Buffer.allocUnsafe(Math.min(chunkBytes, size));
  }

  /**
   * The bytes in [offset, offset + length), cut short at the end of the file. The view is only
   * valid until the next call: callers decode it (and copy what they keep) before reading on.
   */
  async at(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (offset < this.chunkStart || end > this.chunkStart + this.chunk.length) {
      await this.load(offset, end - offset);
    }
    return this.chunk.subarray(offset - this.chunkStart, end - this.chunkStart);
  }

  private async load(offset: number, atLeast: number): Promise<void> {
    const wanted = Math.min(this.size - offset, Math.max(this.spare.length, atLeast));
    const buffer = wanted <= this.spare.length ? this.spare : Buffer.allocUnsafe(wanted);
    let filled = 0;
    while (filled < wanted) {
      // One read takes less than 2 GiB; a batch can be larger.
      const length = Math.min(wanted - filled, MAX_READ_BYTES);
      const { bytesRead } = await this.handle.read(buffer, filled, length, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.chunk = buffer.subarray(0, filled);
    this.chunkStart = offset;
  }
}
