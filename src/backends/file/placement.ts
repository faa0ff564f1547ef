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

/** Which directory an instance opened: the same path may later name another one. */
export interface DirectoryIdentity {
  readonly dev: number;
  readonly ino: number;
}

export async function directoryIdentity(dir: string): Promise<DirectoryIdentity> {
  const { dev, ino } = await stat(dir);
  return { dev, ino };
}

/** Why `dir` is no longer the directory opened as `opened`, or undefined while it is. */
export async function directoryMoved(
  dir: string,
  opened: DirectoryIdentity,
): Promise<FileIoError | undefined> {
  let now: DirectoryIdentity | undefined;
  try {
    now = await stat(dir);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    // Anything else (EIO from a network filesystem, say) may pass: the probe fails, writes do not.
    if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw ioError('probe', dir, error);
  }
  if (now && now.dev === opened.dev && now.ino === opened.ino) return undefined;
  return new FileIoError(
    `the data directory ${dir} ${now ? 'is another directory now' : 'is gone'}: it was removed, moved or replaced while the instance had it open, so writes are refused from now on (the records acknowledged since are only in this process's memory); ${PUT_IT_BACK}`,
    { op: 'probe', file: dir, errno: 'ENOENT' },
  );
}

/** What brings the data back: a restart of the instance reopens the directory only once it is back. */
const PUT_IT_BACK =
  'put it back, then restart the instance (POST /api/v1/instances/{instance}/restart, restartInstance()); a restart of the process opens the directory as it then is, an empty one included';

/** Whether `log` is no longer the file its name in `dir` names (removed, or replaced by another). */
export async function logDetached(dir: string, log: LogTarget): Promise<boolean> {
  const open = await log.handle.stat();
  if (open.nlink === 0) return true;
  const named = await stat(pathIn(dir, log.name)).catch(() => undefined);
  return named === undefined || named.dev !== open.dev || named.ino !== open.ino;
}

/**
 * For a reopen in the same process (the runtime restarting a worker): the directory held this
 * instance's data when it last opened, so it must still hold a log or a snapshot. Opened as a
 * first open would be, a directory removed meanwhile was created again empty, and one whose files
 * were removed opened empty, both reported up with every record gone.
 */
export async function checkStillHoldsData(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
    throw new FileIoError(
      `the data directory ${dir} cannot be reopened (${errno}): it held this instance's data when it was last open in this process, and it is not created again empty; ${PUT_IT_BACK}`,
      { op: 'open', file: dir, errno },
    );
  }
  const { logs, snapshots } = classify(names);
  if (logs.length === 0 && snapshots.length === 0) {
    throw new FileIoError(
      `the data directory ${dir} holds no log and no snapshot: it held this instance's data when it was last open in this process, and it is not opened again empty; ${PUT_IT_BACK}`,
      { op: 'open', file: dir, errno: 'ENOENT' },
    );
  }
}

/** A file a reopen reads besides the active log (a snapshot, a sealed log), as it was when known. */
export interface PlacedFile {
  readonly name: string;
  readonly dev: number;
  readonly ino: number;
}

/** Where each of `names` in `dir` is now. */
export async function placedFiles(dir: string, names: readonly string[]): Promise<PlacedFile[]> {
  return Promise.all(
    names.map(async (name) => {
      const { dev, ino } = await stat(pathIn(dir, name));
      return { name, dev, ino };
    }),
  );
}

/**
 * The first of `files` that is no longer in `dir` as it was (removed, or replaced by another file),
 * or undefined while all are. A reopen reads them: without them it refuses the directory as
 * corrupt, or finds only what later logs hold.
 */
export async function firstMissing(dir: string, files: readonly PlacedFile[]): Promise<string | undefined> {
  for (const file of files) {
    let now: { dev: number; ino: number } | undefined;
    try {
      now = await stat(pathIn(dir, file.name));
    } catch (error) {
      // As for the directory: only a file that is not there counts; EIO and the like fail the probe.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('probe', file.name, error);
    }
    if (now?.dev !== file.dev || now?.ino !== file.ino) return file.name;
  }
  return undefined;
}
