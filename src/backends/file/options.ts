import { ConfigError } from '../../errors/index.js';
import { MAX_OBJECTS_PER_KIND } from '../backend.js';
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
  /**
   * Objects one kind (GVK) may hold; a put of a new object past it is refused with
   * TooManyObjectsError. At most MAX_OBJECTS_PER_KIND. @default MAX_OBJECTS_PER_KIND
   */
  readonly maxObjectsPerKind?: number;
  /**
   * Whether an open may create the instance: make its directory, or start an empty instance in a
   * directory that holds none. With false, an open where there is no instance (no directory, or
   * no log and no snapshot in it) fails with FileIoError, `op` `open`, `errno` `ENOENT`: what an
   * instance on a filesystem that is not mounted looks like, which an open that creates would
   * serve as a new, empty instance on the disk under the mount point. @default true
   */
  readonly create?: boolean;
}

export interface ResolvedFileBackendOptions {
  readonly compactMinBytes: number;
  readonly compactGarbageRatio: number;
  readonly openFile: OpenFile;
  readonly io: LogIo;
  readonly logSync: LogSync;
  readonly maxObjectsPerKind: number;
  readonly create: boolean;
}

export const DEFAULT_COMPACT_MIN_BYTES = 64 * 1024 * 1024;
export const DEFAULT_COMPACT_GARBAGE_RATIO = 0.5;

export function resolveOptions(given: FileBackendOptions | null | undefined): ResolvedFileBackendOptions {
  const options = given ?? {};
  const logSync = options.logSync ?? defaultLogSync();
  const unavailable = logSyncUnavailable(logSync);
  if (unavailable) throw new ConfigError(`logSync ${unavailable}`, { field: 'logSync' });
  const maxObjectsPerKind = options.maxObjectsPerKind ?? MAX_OBJECTS_PER_KIND;
  if (
    !Number.isSafeInteger(maxObjectsPerKind) ||
    maxObjectsPerKind < 1 ||
    maxObjectsPerKind > MAX_OBJECTS_PER_KIND
  ) {
    throw new ConfigError(`maxObjectsPerKind must be an integer from 1 to ${MAX_OBJECTS_PER_KIND}`, {
      field: 'maxObjectsPerKind',
    });
  }
  // The configuration file's schema checks these; options built in code had no check at all.
  const compactMinBytes = options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES;
  if (!Number.isSafeInteger(compactMinBytes) || compactMinBytes < 1) {
    throw new ConfigError('compactMinBytes must be a positive integer', { field: 'compactMinBytes' });
  }
  const compactGarbageRatio = options.compactGarbageRatio ?? DEFAULT_COMPACT_GARBAGE_RATIO;
  // 0 compacts whenever the files hold compactMinBytes, garbage or not (tests use it); 1, never.
  if (!(typeof compactGarbageRatio === 'number' && compactGarbageRatio >= 0 && compactGarbageRatio < 1)) {
    throw new ConfigError('compactGarbageRatio must be a number from 0 up to, not including, 1', {
      field: 'compactGarbageRatio',
    });
  }
  const create = options.create ?? true;
  if (typeof create !== 'boolean') {
    throw new ConfigError('create must be true or false', { field: 'create' });
  }
  return {
    create,
    maxObjectsPerKind,
    compactMinBytes,
    compactGarbageRatio,
    openFile: options.openFile ?? openFile,
    io: options.blockingIo ? 'blocking' : 'thread-pool',
    logSync,
  };
}
