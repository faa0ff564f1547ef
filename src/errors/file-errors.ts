import { StowageError } from './base.js';

/**
 * Another live writer holds the directory's lock. `details` names the owner (`machineId`, `pid`,
 * `hostname`) and the `lockFile`, so an operator can tell who it is before removing it by hand.
 */
export class LockedError extends StowageError {
  static override readonly code = 'STOWAGE_LOCKED';
}

/**
 * A log or snapshot holds damaged data that is not a torn tail: `details.file` and `details.offset`
 * say where. The backend refuses to open rather than skip acknowledged writes.
 */
export class CorruptLogError extends StowageError {
  static override readonly code = 'STOWAGE_CORRUPT_LOG';
}

/**
 * A put of a new object would take its kind past the file or memory instance's limit of objects per kind
 * (`details.gvk`, `details.limit`): V8's Map, which indexes a kind in memory, holds at most 2^24
 * entries, and a log that held more could never be opened again. Nothing was written.
 */
export class TooManyObjectsError extends StowageError {
  static override readonly code = 'STOWAGE_TOO_MANY_OBJECTS';

  /** What every backend's check reports: kind `gvk` holds `limit` objects already. */
  static at(gvk: string, limit: number): TooManyObjectsError {
    return new TooManyObjectsError(`${gvk} holds ${limit} objects, the limit per kind`, { gvk, limit });
  }
}

/** A file was written by an unknown on-disk format version (`details.file`, `details.version`). */
export class UnsupportedFormatError extends StowageError {
  static override readonly code = 'STOWAGE_UNSUPPORTED_FORMAT';
}

/**
 * Reading, writing or syncing a file failed (`details.op`, `details.file`, `details.errno`). The
 * write it carried was not acknowledged and the previous version is intact.
 */
export class FileIoError extends StowageError {
  static override readonly code = 'STOWAGE_FILE_IO';
}
