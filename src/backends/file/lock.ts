import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { link, open, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { MachineId } from '../../contract/machine-id.js';
import { LockedError } from '../../errors/index.js';
import { ensureFileMode, FILE_FLAGS, FILE_MODE, LOCK_FILE, pathIn, syncDirectory } from './layout.js';
import { currentOsThreadId } from './os-thread-id.js';

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
  /**
   * The PID namespace of the process (Linux: the link /proc/self/ns/pid), or null off Linux.
   * Absent in locks written before it existed.
   */
  readonly pidNamespace?: string | null;
  readonly hostname: string;
  /** Unique per acquisition: release and takeover check it, so they never touch another's lock. */
  readonly token: string;
  readonly acquiredAt: string;
}

const ATTEMPTS = 5;

/** How often the holder touches `LOCK` (its modification time), so that its age says it lives. */
export const HEARTBEAT_MS = 5_000;
/**
 * How long untouched a lock from another PID namespace must be to count as stale: far above the
 * heartbeat, since a worker's event loop can be held up by a blocking write, or a host by load.
 */
export const HEARTBEAT_STALE_MS = 60_000;

const HELD_TOKENS_KEY = Symbol.for('stowage.file.heldLockTokens');

/**
 * Tokens of the locks this thread holds, on globalThis so that two copies of this module in one
 * thread agree. A lock naming this very thread with none of these tokens was left by a release
 * that failed (a close on a filesystem gone read-only): nothing here writes under it, and without
 * this no open in the process could ever take the directory again, its owner being alive.
 */
const HELD_TOKENS = (() => {
  const shared = globalThis as { [HELD_TOKENS_KEY]?: Set<string> };
  shared[HELD_TOKENS_KEY] ??= new Set<string>();
  return shared[HELD_TOKENS_KEY];
})();

const PID_NAMESPACE = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
})();

/**
 * The single-writer lock of an instance directory. It is created whole and atomically: the
 * content is written and synced to a private temporary file, then hard-linked to `LOCK`, which
 * fails if `LOCK` exists (atomic on local filesystems and NFS alike).
 *
 * A lock whose owner is a dead process on this host, or a thread of a live one that has exited (an
 * actor's worker that crashed or was terminated), is stale. Taking it over removes it
 * (removeStaleLock, which only one contender can do, and only to that lock), then competes for
 * `LOCK` again with the same atomic link.
 */
export class DirectoryLock {
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    readonly owner: LockOwner,
    /** The dead owner whose stale lock was taken over, if any. */
    readonly tookOverFrom: LockOwner | null,
  ) {
    this.heartbeat = setInterval(() => void this.touch(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  static async acquire(dir: string, machineId: MachineId): Promise<DirectoryLock> {
    const owner: LockOwner = {
      machineId: machineId.toString(),
      pid: process.pid,
      startTime: processStartTime(process.pid),
      thread: currentThread(),
      pidNamespace: PID_NAMESPACE,
      hostname: hostname(),
      token: randomBytes(12).toString('hex'),
      acquiredAt: new Date().toISOString(),
    };
    const lockPath = pathIn(dir, LOCK_FILE);
    let tookOverFrom: LockOwner | null = null;
    // Held from before LOCK exists: another open on this thread that finds it while this one
    // finishes (the directory's sync) must see it held, not stale, or both would write.
    HELD_TOKENS.add(owner.token);
    try {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (await createLock(lockPath, owner)) {
          await syncDirectory(dir);
          return new DirectoryLock(dir, owner, tookOverFrom);
        }
        const current = await readOwner(lockPath);
        if (current === undefined) continue;
        if (!isStale(current, await touchedAt(lockPath))) throw lockedBy(current, lockPath);
        if (await removeStaleLock(lockPath, current)) tookOverFrom = current;
      }
      throw new LockedError(
        `could not acquire ${lockPath} after ${ATTEMPTS} attempts; writers are contending`,
        { lockFile: lockPath },
      );
    } catch (error) {
      HELD_TOKENS.delete(owner.token);
      throw error;
    }
  }

  /** Touches `LOCK` while it is this lock: touching one that replaced it would keep that alive. */
  private async touch(): Promise<void> {
    const lockPath = pathIn(this.dir, LOCK_FILE);
    try {
      if ((await readOwner(lockPath))?.token !== this.owner.token) return;
      const now = new Date();
      await utimes(lockPath, now, now);
    } catch {
      // The next beat tries again; verify() and the probe report a lock that is gone.
    }
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

  /** Even when it fails, this thread no longer holds the lock: a later open here takes it over. */
  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    try {
      const lockPath = pathIn(this.dir, LOCK_FILE);
      if ((await readOwner(lockPath))?.token !== this.owner.token) return;
      await unlink(lockPath);
      await syncDirectory(this.dir);
    } finally {
      HELD_TOKENS.delete(this.owner.token);
    }
  }
}

/**
 * Removes `LOCK` if it is still the stale lock `judged`; false when it is not (gone, or another
 * contender's by now). `LOCK` is first hard-linked to a name derived from the judged lock's token:
 * only one contender can make that link, and only the one that made it removes `LOCK`, so `LOCK`
 * is still the judged lock when it does. A contender that comes late links whatever `LOCK` is then,
 * finds another token, and removes only its link. (Renaming `LOCK` aside, as before, could move a
 * fresh lock another contender had just made, and putting it back could fail once a third had
 * made its own: two writers then held the directory.)
 */
export async function removeStaleLock(lockPath: string, judged: LockOwner): Promise<boolean> {
  // The token is the file's text, so it is hashed before it becomes part of a path.
  const aside = `${lockPath}.stale.${createHash('sha256').update(judged.token).digest('hex').slice(0, 24)}`;
  try {
    await link(lockPath, aside);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Gone, or another contender is removing this same stale lock: look again.
    if (code === 'ENOENT' || code === 'EEXIST') return false;
    throw error;
  }
  try {
    if ((await readOwner(aside))?.token !== judged.token) return false;
    await unlink(lockPath);
    return true;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

async function createLock(lockPath: string, owner: LockOwner): Promise<boolean> {
  const temporary = `${lockPath}.${owner.pid}.${owner.token}.tmp`;
  try {
    return await linkNewLock(lockPath, temporary, owner);
  } catch (error) {
    // The name is new at every attempt. Written as its pattern, a failure to start reads the same
    // at each retry, and the state log prints it once instead of at every retry (state-log.ts).
    if (error instanceof Error) {
      error.message = error.message.replaceAll(temporary, `${lockPath}.<pid>.<token>.tmp`);
    }
    throw error;
  }
}

async function linkNewLock(lockPath: string, temporary: string, owner: LockOwner): Promise<boolean> {
  // O_EXCL: a name that exists, a planted symlink included, is never written through.
  const handle = await open(temporary, FILE_FLAGS.create, FILE_MODE);
  // Removed however this ends, a full disk failing the write or the sync included: only a crash
  // may leave one behind (docs/file-format.md, "The lock").
  try {
    try {
      await ensureFileMode(handle);
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
    text = await readLockText(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // A symlink, which O_NOFOLLOW refuses, is no lock stowage writes: unreadable, as below.
    if (code !== 'ELOOP') throw error;
    text = '';
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (typeof owner.pid === 'number' && typeof owner.token === 'string') return owner;
  } catch {}
  return { machineId: 'unknown', pid: -1, startTime: null, hostname: 'unknown', token: '', acquiredAt: '' };
}

/** Most bytes of a lock file read: its one line of JSON is far shorter. */
const MAX_LOCK_BYTES = 64 * 1024;

/**
 * The text of a lock file: without following a symlink or waiting on a FIFO, and '' (no lock
 * stowage writes) for anything but a regular file of at most MAX_LOCK_BYTES. A `LOCK` planted as
 * a link to a FIFO hung the open; one to /dev/zero was read without end.
 */
async function readLockText(path: string): Promise<string> {
  const handle = await open(path, FILE_FLAGS.read);
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > MAX_LOCK_BYTES) return '';
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Whether the lock names a PID namespace other than this process's (locks before it: no). */
function inOtherPidNamespace(owner: LockOwner): boolean {
  return owner.pidNamespace != null && owner.pidNamespace !== PID_NAMESPACE;
}

/** When `LOCK` was last touched (ms since the epoch); undefined when it is gone. */
async function touchedAt(lockPath: string): Promise<number | undefined> {
  try {
    return (await stat(lockPath)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Only a lock from this host can be judged: a pid on another host (NFS) means nothing here. Nor
 * does one from another PID namespace under this host name (containers given one hostname, pods
 * on the host's network): that lock is judged by its heartbeat, its age since last touched.
 */
function isStale(owner: LockOwner, touched: number | undefined): boolean {
  if (owner.hostname !== hostname() || owner.pid <= 0) return false;
  if (heldByThisThread(owner)) return !HELD_TOKENS.has(owner.token);
  if (inOtherPidNamespace(owner)) {
    return touched !== undefined && Date.now() - touched > HEARTBEAT_STALE_MS;
  }
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return true;
    // EPERM: the pid is another user's process, which may be the owner's pid reused; its start
    // time below tells, being readable whoever owns the process.
    if (code !== 'EPERM') return false;
  }
  const startTime = processStartTime(owner.pid);
  if (owner.startTime !== null && startTime !== null && startTime !== owner.startTime) return true;
  return owner.thread ? threadGone(owner.pid, owner.thread.tid, owner.thread.startTime) : false;
}

/** Whether the lock was made by the calling thread (same process, task id and thread start time). */
function heldByThisThread(owner: LockOwner): boolean {
  if (owner.pid !== process.pid || !owner.thread || inOtherPidNamespace(owner)) return false;
  const thread = currentThread();
  return thread !== null && thread.tid === owner.thread.tid && thread.startTime === owner.thread.startTime;
}

/** The calling thread's Linux task id and start time, or null off Linux (os-thread-id.ts). */
function currentThread(): { tid: number; startTime: string | null } | null {
  const tid = currentOsThreadId();
  return tid === 0 ? null : { tid, startTime: statStartTime(`/proc/${process.pid}/task/${tid}/stat`) };
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
  if (owner.token === '') {
    return new LockedError(
      `${lockFile} is unreadable (not a lock stowage writes: empty, or edited); remove it once no writer uses this directory`,
      { lockFile },
    );
  }
  const elsewhere =
    owner.hostname === hostname() && inOtherPidNamespace(owner)
      ? ` in another PID namespace (taken over once untouched for ${HEARTBEAT_STALE_MS / 1000} s)`
      : '';
  return new LockedError(
    `${lockFile} is held by machine ${owner.machineId}, pid ${owner.pid} on host ${owner.hostname}${elsewhere}`,
    { lockFile, machineId: owner.machineId, pid: owner.pid, hostname: owner.hostname },
  );
}
