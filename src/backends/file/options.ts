import { ConfigError } from '../../errors/index.js';
import { defaultLogSync, type LogSync, logSyncUnavailable, type OpenFile, openFile } from './layout.js';
import type { LogIo } from './log-writer.js';

export interface FileBackendOptions {
  /**
   * Compaction waits until the snapshot and logs hold at least this many bytes, so small
   * instances are never rewritten. @default 64 MiB
   */
  readonly compactMinBytes?: number;
  /**
   * …and until at least this fraction of those bytes is garbage: overwritten or deleted records.
   * At 0.5 the files stay under about twice the live data. @default 0.5
   */
  readonly compactGarbageRatio?: number;
  /** Opens files for writing. A seam for fault-injection tests. @default fs/promises `open` */
  readonly openFile?: OpenFile;
  /**
   * Write each batch with blocking calls on the calling thread instead of on libuv's thread pool.
   * Only for a thread that does nothing else: it stops while the disk syncs. The runtime sets it
   * for file instances in their actors' workers (docs/architecture.md).
   * @default false
   */
  readonly blockingIo?: boolean;
  /**
   * How a batch is made durable (LogSync): `o_dsync`, offered on Linux only, or `fdatasync`.
   * @default `o_dsync` on Linux, `fdatasync` elsewhere
   */
  readonly logSync?: LogSync;
}

export interface ResolvedFileBackendOptions {
  readonly compactMinBytes: number;
  readonly compactGarbageRatio: number;
  readonly openFile: OpenFile;
  readonly io: LogIo;
  readonly logSync: LogSync;
}

export const DEFAULT_COMPACT_MIN_BYTES = 64 * 1024 * 1024;
export const DEFAULT_COMPACT_GARBAGE_RATIO = 0.5;

export function resolveOptions(options: FileBackendOptions): ResolvedFileBackendOptions {
  const logSync = options.logSync ?? defaultLogSync();
  const unavailable = logSyncUnavailable(logSync);
  if (unavailable) throw new ConfigError(`logSync ${unavailable}`, { field: 'logSync' });
  return {
    compactMinBytes: options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES,
    compactGarbageRatio: options.compactGarbageRatio ?? DEFAULT_COMPACT_GARBAGE_RATIO,
    openFile: options.openFile ?? openFile,
    io: options.blockingIo ? 'blocking' : 'thread-pool',
    logSync,
  };
}
