import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FileIoError } from '../../errors/index.js';
import { quoted } from '../../errors/quoted.js';

/**
 * File names in an instance directory. Generations order them: `snapshot-N` holds the state at the
 * start of `log-N`, and logs N, N+1, … replay on top of it (docs/file-format.md).
 */
export const LOCK_FILE = 'LOCK';
export const PROBE_FILE = 'PROBE';
/** PROBE_FILE's fixed size: each probe overwrites the same bytes (FileBackend.writeProbe). */
export const PROBE_BYTES = 32;
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

const GENERATION_DIGITS = 10;
const LOG_NAME = /^log-(\d{10})\.stow$/;
const SNAPSHOT_NAME = /^snapshot-(\d{10})\.stow$/;
const SNAPSHOT_TEMP_NAME = /^snapshot-\d{10}\.stow\.tmp$/;

export function logName(generation: number): string {
  return `log-${String(generation).padStart(GENERATION_DIGITS, '0')}.stow`;
}

export function snapshotName(generation: number): string {
  return `snapshot-${String(generation).padStart(GENERATION_DIGITS, '0')}.stow`;
}

export interface DirectoryListing {
  /** Generations with a log file, ascending. */
  readonly logs: number[];
  /** Generations with a snapshot file, ascending. */
  readonly snapshots: number[];
  /** Snapshots whose writing never finished; always safe to delete. */
  readonly temporaries: string[];
}

export function classify(names: readonly string[]): DirectoryListing {
  const logs: number[] = [];
  const snapshots: number[] = [];
  const temporaries: string[] = [];
  for (const name of names) {
    const log = LOG_NAME.exec(name);
    const snapshot = SNAPSHOT_NAME.exec(name);
    if (log) logs.push(Number(log[1]));
    else if (snapshot) snapshots.push(Number(snapshot[1]));
    else if (SNAPSHOT_TEMP_NAME.test(name)) temporaries.push(name);
  }
  const ascending = (a: number, b: number) => a - b;
  return { logs: logs.sort(ascending), snapshots: snapshots.sort(ascending), temporaries };
}

const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_DSYNC, O_NOFOLLOW, O_NONBLOCK } = constants;

/**
 * How the files of an instance directory are opened. None follows a symlink, and a file stowage
 * makes is made new (O_EXCL, once whatever had its name is removed: createFile): a symlink planted
 * in the directory (left group- or world-writable before the first open, or owned by another user)
 * had stowage, run as root, write its probe, snapshot and log into the link's target, anywhere.
 * Existing files are opened O_NONBLOCK, which changes nothing for a regular file: a FIFO named like
 * a log blocked the open until someone wrote to it, and a terminated worker cannot leave such a
 * call, so neither could the process exit. The open then finds it is no regular file (recovery.ts).
 */
export const FILE_FLAGS = {
  read: O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
  update: O_RDWR | O_NOFOLLOW | O_NONBLOCK,
  /** PROBE_FILE, overwritten in place, made if missing (FileBackend.writeProbe). */
  probe: O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK,
  create: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
} as const;

/** Opens a file for writing; tests replace it to inject failing handles. */
export type OpenFile = (path: string, flags: string | number, mode: number) => Promise<FileHandle>;

/**
 * How a log batch is made durable.
 * - `o_dsync`: the log is opened O_DSYNC, so its one write returns once the data, and the metadata
 *   needed to read it back (the file's size), are on stable storage: what a write followed by
 *   fdatasync guarantees, in one system call. On libuv's thread pool that is one hand-off to the
 *   pool and back per batch instead of two, and the second of the two waited for this thread's
 *   next turn, which under load is busy acknowledging the batch before. docs/architecture.md
 *   ("O_DSYNC log") has the measurements.
 * - `fdatasync`: a write, then fdatasync.
 * Only on Linux is the first as strong as the second: on macOS libuv's fdatasync is F_FULLFSYNC,
 * which also flushes the drive's cache where an O_DSYNC write does not, and Windows has no O_DSYNC.
 */
export type LogSync = 'o_dsync' | 'fdatasync';

export const LOG_SYNCS = ['o_dsync', 'fdatasync'] as const satisfies readonly LogSync[];

/** `o_dsync` on Linux, `fdatasync` elsewhere (LogSync). */
export function defaultLogSync(): LogSync {
  return process.platform === 'linux' ? 'o_dsync' : 'fdatasync';
}

/**
 * Why this platform cannot give `sync` the durability an acknowledgement promises (LogSync), or
 * undefined when it can. The configuration (at load) and the backend (at construction) both ask.
 */
export function logSyncUnavailable(sync: LogSync): string | undefined {
  // From a caller in JavaScript: anything else was taken for o_dsync without a word.
  if (!LOG_SYNCS.includes(sync)) return `${quoted(sync)} is none of ${LOG_SYNCS.join(', ')}`;
  if (sync === 'o_dsync' && process.platform !== 'linux') {
    return `o_dsync is offered on Linux only, not on ${process.platform}`;
  }
  return undefined;
}

/** The flags a log is opened with: an existing one to append to, or a new one. */
export function logFlags(sync: LogSync): { readonly existing: number; readonly created: number } {
  if (sync === 'fdatasync') return { existing: FILE_FLAGS.update, created: FILE_FLAGS.create };
  return { existing: FILE_FLAGS.update | O_DSYNC, created: FILE_FLAGS.create | O_DSYNC };
}

export const openFile: OpenFile = (path, flags, mode) => open(path, flags, mode);

/**
 * Makes the file `path` new with `flags` (FILE_FLAGS.create and more), removing whatever had that
 * name first: truncating it in place wrote through a symlink or a hard link planted there. Its
 * mode is set to FILE_MODE whatever the umask: under umask 0277 files came out 0400, and the
 * instance could not reopen its own PROBE_FILE.
 */
export async function createFile(openFile: OpenFile, path: string, flags: number): Promise<FileHandle> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const handle = await openFile(path, flags, FILE_MODE);
  try {
    await ensureFileMode(handle);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}

/** Sets FILE_MODE on a file just made, unless it has it: open's mode is masked by the umask. */
export async function ensureFileMode(handle: FileHandle): Promise<void> {
  if (((await handle.stat()).mode & 0o777) !== FILE_MODE) await handle.chmod(FILE_MODE);
}

/** Makes renames, creations and deletions in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The errnos of a write a full disk refuses: no space, the user's quota, or the process's file-size
 * limit (RLIMIT_FSIZE). A restart cannot make room, and HTTP answers them 507.
 */
export const DISK_FULL_ERRNOS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** Wraps a Node filesystem error into a typed one that names the operation and file, never contents. */
export function ioError(op: string, file: string, error: unknown): FileIoError {
  if (error instanceof FileIoError) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  // What O_NOFOLLOW answers for a symlink (FILE_FLAGS), in words an operator can act on.
  const hint =
    errno === 'ELOOP'
      ? ` (${file} is a symlink, which stowage never follows inside its directory: remove it, and see who made it)`
      : '';
  return new FileIoError(`${op} ${file} failed: ${causeOf(error, file)}${hint}`, {
    op,
    file,
    errno,
  });
}

/**
 * The cause's message without the `, <syscall> '<path>'` Node appends when that path is `file`, which
 * the message already names: an ENAMETOOLONG one quoted a 4 KB path twice.
 */
function causeOf(error: unknown, file: string): string {
  if (!(error instanceof Error)) return String(error);
  const { syscall, path } = error as NodeJS.ErrnoException;
  const repeated = `, ${syscall} '${path}'`;
  return syscall !== undefined && path === file && error.message.endsWith(repeated)
    ? error.message.slice(0, -repeated.length)
    : error.message;
}

export function pathIn(dir: string, name: string): string {
  return join(dir, name);
}
