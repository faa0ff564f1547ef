import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { MachineId } from '../../contract/machine-id.js';
import { LockedError } from '../../errors/index.js';
import { FILE_MODE, LOCK_FILE, pathIn, syncDirectory } from './layout.js';

/** What the lock file records about its owner. */
export interface LockOwner {
  readonly machineId: string;
  readonly pid: number;
  /** The kernel's start time of `pid`, so a reused pid is not mistaken for the owner. */
  readonly startTime: string | null;
  /**
   * The thread that holds the lock (Linux: its task id and start time), or null where that cannot
   * be known. An actor's backend lives on a worker thread, and a worker that dies leaves its process
   * alive: its lock is stale once the thread is gone. Absent in locks written before it existed.
   */
  readonly thread?: { readonly tid: number; readonly startTime: string | null } | null;
  readonly hostname: string;
  /** Unique per acquisition: release and takeover check it, so they never touch another's lock. */
  readonly token: string;
  readonly acquiredAt: string;
}

const ATTEMPTS = 5;

/**
 * The single-writer lock of an instance directory. It is created whole and atomically: the
 * content is written and synced to a private temporary file, then hard-linked to `LOCK`, which
 * fails if `LOCK` exists (atomic on local filesystems and NFS alike).
 *
 * A lock whose owner is a dead process on this host, or a thread of a live one that has exited (an
 * actor's worker that crashed or was terminated), is stale. Taking it over renames it aside
 * (only one contender's rename can succeed) and checks that what was moved is the stale lock
 * that was judged, then competes for `LOCK` again with the same atomic link.
 */
export class DirectoryLock {
  private constructor(
    private readonly dir: string,
    readonly owner: LockOwner,
    /** The dead owner whose stale lock was taken over, if any. */
    readonly tookOverFrom: LockOwner | null,
  ) {}

  static async acquire(dir: string, machineId: MachineId): Promise<DirectoryLock> {
    const owner: LockOwner = {
      machineId: machineId.toString(),
      pid: process.pid,
      startTime: processStartTime(process.pid),
      thread: currentThread(),
      hostname: hostname(),
      token: randomBytes(12).toString('hex'),
      acquiredAt: new Date().toISOString(),
    };
    const lockPath = pathIn(dir, LOCK_FILE);
    let tookOverFrom: LockOwner | null = null;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await createLock(lockPath, owner)) {
        await syncDirectory(dir);
        return new DirectoryLock(dir, owner, tookOverFrom);
      }
      const current = await readOwner(lockPath);
      if (current === undefined) continue;
      if (!isStale(current)) throw lockedBy(current, lockPath);
      const aside = `${lockPath}.stale.${owner.token}`;
      try {
        await rename(lockPath, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = await readOwner(aside);
      if (moved?.token === current.token) tookOverFrom = current;
      // A live contender's fresh lock was moved by mistake: put it back before anyone notices.
      else await link(aside, lockPath).catch(() => undefined);
      await unlink(aside);
    }
    throw new LockedError(
      `could not acquire ${lockPath} after ${ATTEMPTS} attempts; writers are contending`,
      {
        lockFile: lockPath,
      },
    );
  }

  /** Throws LockedError when the lock file is no longer this lock (removed or replaced by hand). */
  async verify(): Promise<void> {
    const lockPath = pathIn(this.dir, LOCK_FILE);
    const current = await readOwner(lockPath);
    if (current?.token !== this.owner.token) {
      throw current
        ? lockedBy(current, lockPath)
        : new LockedError(`${lockPath} was removed while this writer held it`, { lockFile: lockPath });
    }
  }

  async release(): Promise<void> {
    const lockPath = pathIn(this.dir, LOCK_FILE);
    if ((await readOwner(lockPath))?.token !== this.owner.token) return;
    await unlink(lockPath);
    await syncDirectory(this.dir);
  }
}

async function createLock(lockPath: string, owner: LockOwner): Promise<boolean> {
  const temporary = `${lockPath}.${owner.pid}.${owner.token}.tmp`;
  const handle = await open(temporary, 'wx', FILE_MODE);
  // Removed however this ends, a full disk failing the write or the sync included: only a crash
  // may leave one behind (docs/file-format.md, "The lock").
  try {
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** The lock's owner; undefined when the lock vanished. An unreadable lock is never judged stale. */
async function readOwner(path: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid === 'number' && typeof owner.token === 'string') return owner;
  } catch {}
  return { machineId: 'unknown', pid: -1, startTime: null, hostname: 'unknown', token: '', acquiredAt: '' };
}

/** Only a lock from this host can be judged: a pid on another host (NFS) means nothing here. */
function isStale(owner: LockOwner): boolean {
  if (owner.hostname !== hostname() || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const startTime = processStartTime(owner.pid);
  if (owner.startTime !== null && startTime !== null && startTime !== owner.startTime) return true;
  return owner.thread ? threadGone(owner.pid, owner.thread.tid, owner.thread.startTime) : false;
}

/**
 * The calling thread's Linux task id and start time, or null off Linux. A worker's JavaScript runs
 * on its own OS thread, which /proc/thread-self names.
 */
function currentThread(): { tid: number; startTime: string | null } | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    return { tid, startTime: statStartTime(`/proc/${process.pid}/task/${tid}/stat`) };
  } catch {
    return null;
  }
}

/**
 * Whether the thread has exited: its task is gone, or its id now names a newer thread. An actor's
 * worker writes its log with blocking calls on that thread (docs/file-format.md, "The lock"), so
 * none of its log writes can follow.
 */
function threadGone(pid: number, tid: number, startTime: string | null): boolean {
  try {
    const current = statStartTime(`/proc/${pid}/task/${tid}/stat`, true);
    return startTime !== null && current !== null && current !== startTime;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Field 22 of /proc/<pid>/stat, the start time in clock ticks since boot; null off Linux. */
function processStartTime(pid: number): string | null {
  return statStartTime(`/proc/${pid}/stat`);
}

/** Field 22 of a /proc stat file; null when it cannot be read, unless `rethrow` asks for the error. */
function statStartTime(path: string, rethrow = false): string | null {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch (error) {
    if (rethrow) throw error;
    return null;
  }
}

function lockedBy(owner: LockOwner, lockFile: string): LockedError {
  return new LockedError(
    `${lockFile} is held by machine ${owner.machineId}, pid ${owner.pid} on host ${owner.hostname}`,
    { lockFile, machineId: owner.machineId, pid: owner.pid, hostname: owner.hostname },
  );
}
