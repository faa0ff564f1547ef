import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { closedLoop, type LoadResult } from './file-load.js';

/**
 * Baseline (a): one file per object, the obvious durable layout: write a temporary file, fsync
 * it, rename it over the object's file, fsync the directory (or the rename is not durable). Each
 * worker cycles through 16 keys, as stowage's contenders do, so renames overwrite as updates would.
 */
export async function rawFilePerObject(
  dir: string,
  concurrency: number,
  durationMs: number,
  payload: Buffer,
) {
  const directory = await open(dir, 'r');
  try {
    return await closedLoop(concurrency, durationMs, async (worker, i) => {
      const name = `o-${worker}-${i % 16}`;
      const temporary = join(dir, `${name}.tmp`);
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.write(payload, 0, payload.length, 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, join(dir, name));
      await directory.sync();
    });
  } finally {
    await directory.close();
  }
}

/**
 * Baseline (b), the physical limit of a log: append `batch` framed records with one writev and
 * one fdatasync, over and over, from one stream. Returns records (not batches) per second.
 */
export async function rawLogAppend(
  dir: string,
  batch: number,
  durationMs: number,
  payload: Buffer,
): Promise<LoadResult> {
  const handle = await open(join(dir, 'raw.log'), 'w', 0o600);
  const frame = Buffer.alloc(12);
  const buffers = Array.from({ length: batch }, () => [frame, payload]).flat();
  let position = 0;
  try {
    const result = await closedLoop(1, durationMs, async () => {
      const { bytesWritten } = await handle.writev(buffers, position);
      position += bytesWritten;
      await handle.datasync();
    });
    return { ...result, ops: result.ops * batch };
  } finally {
    await handle.close();
  }
}
