import { readdir, stat } from 'node:fs/promises';
import { FileIoError } from '../../errors/index.js';
import { classify, ioError, pathIn } from './layout.js';
import type { LogTarget } from './log-writer.js';

/**
 * Whether the files a running instance writes are still where its directory says they are. The
 * log is appended through a handle opened once: a log removed from the directory (a cleanup job
 * deleting old `log-*` files), or the whole directory removed or moved, still takes every write,
 * durably, into a file no reopen will ever find. Each probe looks (FileBackend.probe()).
 */

/** Which directory or file a path named: the same path may later name another one. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export async function fileIdentity(path: string): Promise<FileIdentity> {
  const { dev, ino } = await stat(path);
  return { dev, ino };
}

/**
 * The device and inode at `path` now, or undefined when nothing is there (ENOENT, or ENOTDIR: a
 * directory on the way replaced by a file). Any other failure (EIO from a network filesystem, say)
 * is thrown as the probe's: the probe fails, but writes are not refused for it.
 */
async function identityNow(path: string, file: string): Promise<FileIdentity | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
    throw ioError('probe', file, error);
  }
}

function sameFile(now: FileIdentity | undefined, then: FileIdentity): boolean {
  return now?.dev === then.dev && now?.ino === then.ino;
}

/** Why `dir` is no longer the directory opened as `opened`, or undefined while it is. */
export async function directoryMoved(dir: string, opened: FileIdentity): Promise<FileIoError | undefined> {
  const now = await identityNow(dir, dir);
  if (sameFile(now, opened)) return undefined;
  return new FileIoError(
    `the data directory ${dir} ${now ? 'is another directory now' : 'is gone'}: it was removed, moved or replaced while the instance had it open, so writes are refused from now on (the records acknowledged since are only in this process's memory); ${PUT_IT_BACK}`,
    { op: 'probe', file: dir, errno: 'ENOENT' },
  );
}

/** What brings the data back: a restart of the instance reopens the directory only once it is back. */
const PUT_IT_BACK =
  'put it back, then restart the instance (POST /api/v1/instances/{instance}/restart, restartInstance()); a restart of the process opens the directory as it then is, an empty one included';

/**
 * Whether `log` is no longer the file its name in `dir` names (removed, or replaced by another).
 * A name that cannot be looked at fails the probe, as for the directory and the snapshot: taken
 * for a removed log, it had every record written again, on a disk that may be failing.
 */
export async function logDetached(dir: string, log: LogTarget): Promise<boolean> {
  const open = await log.handle.stat();
  if (open.nlink === 0) return true;
  return !sameFile(await identityNow(pathIn(dir, log.name), log.name), open);
}

/**
 * For a reopen in the same process (the runtime restarting a worker): the directory held this
 * instance's data when it last opened, so it must still hold a log or a snapshot. Opened as a
 * first open would be, a directory removed meanwhile was created again empty, and one whose files
 * were removed opened empty, both reported up with every record gone.
 */
export function checkStillHoldsData(dir: string): Promise<void> {
  const held = "it held this instance's data when it was last open in this process";
  return checkHoldsInstance(dir, {
    verb: 'reopened',
    unreadable: `${held}, and it is not created again empty; ${PUT_IT_BACK}`,
    empty: `${held}, and it is not opened again empty; ${PUT_IT_BACK}`,
  });
}

/** For an open with `create: false` (FileBackendOptions.create): the instance must be there already. */
export function checkInstanceExists(dir: string): Promise<void> {
  const why =
    'it is opened with create: false (as configured, or by a CLI verb that does not store into it), so no instance is created here. A data directory on a filesystem that is not mounted looks like this: mount it, or correct dir; to start a new, empty instance, open it with create: true (the default: stowage serve, put)';
  return checkHoldsInstance(dir, { verb: 'opened', unreadable: why, empty: why });
}

async function checkHoldsInstance(
  dir: string,
  message: { readonly verb: string; readonly unreadable: string; readonly empty: string },
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    throw new FileIoError(
      `the data directory ${dir} cannot be ${message.verb} (${errno}): ${message.unreadable}`,
      {
        op: 'open',
        file: dir,
        errno,
      },
    );
  }
  const { logs, snapshots } = classify(names);
  if (logs.length === 0 && snapshots.length === 0) {
    throw new FileIoError(`the data directory ${dir} holds no log and no snapshot: ${message.empty}`, {
      op: 'open',
      file: dir,
      errno: 'ENOENT',
    });
  }
}

/** A file a reopen reads besides the active log (a snapshot, a sealed log), as it was when known. */
export interface PlacedFile extends FileIdentity {
  readonly name: string;
}

/** Where each of `names` in `dir` is now. */
export async function placedFiles(dir: string, names: readonly string[]): Promise<PlacedFile[]> {
  return Promise.all(names.map(async (name) => ({ name, ...(await fileIdentity(pathIn(dir, name))) })));
}

/**
 * The first of `files` that is no longer in `dir` as it was (removed, or replaced by another file),
 * or undefined while all are. A reopen reads them: without them it refuses the directory as
 * corrupt, or finds only what later logs hold.
 */
export async function firstMissing(dir: string, files: readonly PlacedFile[]): Promise<string | undefined> {
  for (const file of files) {
    if (!sameFile(await identityNow(pathIn(dir, file.name), file.name), file)) return file.name;
  }
  return undefined;
}
