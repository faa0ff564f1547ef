import type { FileHandle } from 'node:fs/promises';
import { readdir, statfs, unlink } from 'node:fs/promises';
import { ClosedError, FileIoError } from '../../errors/index.js';
import { encodeHeader, FileType, HEADER_BYTES } from './format.js';
import {
  classify,
  createFile,
  ioError,
  type LogSync,
  logFlags,
  logName,
  type OpenFile,
  pathIn,
  snapshotName,
  syncDirectory,
} from './layout.js';
import type { LogWriter, PendingWrite } from './log-writer.js';
import { firstMissing, type PlacedFile, placedFiles } from './placement.js';
import type { RecordIndex } from './record-index.js';
import { writeSnapshot } from './snapshot.js';
import { writevFully } from './write-fully.js';

export interface CompactionPolicy {
  /** Compaction waits until snapshot and logs hold at least this many bytes. */
  readonly minBytes: number;
  /** …and until at least this fraction of those bytes is garbage (overwritten or deleted records). */
  readonly garbageRatio: number;
}

/**
 * Free space a compaction wants beyond the live records: the snapshot's own framing, the new log's
 * header, and the writes that go on while it is written.
 */
export const COMPACTION_HEADROOM_BYTES = 1024 * 1024;

/**
 * Rewrites the live state as a snapshot so logs stop growing with garbage. Writes keep flowing:
 *
 *   1. between two batches, a new log `log-(g+1)` is created and synced, later batches go to it,
 *      and the index is copied (maps only): exactly the state of snapshot-g + logs ≤ g;
 *   2. the copy is written as `snapshot-(g+1)` (temporary file, sync, rename, directory sync);
 *   3. files of generations ≤ g are deleted.
 *
 * A crash before step 2 completes reopens from the old snapshot plus logs g and g+1; after it,
 * from the new snapshot plus log g+1. Either way nothing acknowledged is lost.
 */
export class Compactor<W extends PendingWrite> {
  private running: Promise<void> | undefined;
  private stopping = false;
  /** A durable batch found a compaction running, so the thresholds are checked again when it ends. */
  private landedWhileRunning = false;
  private retryAtBytes = 0;
  /** The last compaction was not started for lack of room: each probe looks again (retryIfRoom). */
  private skippedForRoom = false;
  private completed = 0;
  private failure: FileIoError | null = null;

  constructor(
    private readonly dir: string,
    private readonly writer: LogWriter<W>,
    private readonly index: RecordIndex,
    private readonly openFile: OpenFile,
    private readonly logSync: LogSync,
    private readonly policy: CompactionPolicy,
    private generation: number,
    /** Bytes of the snapshot and of sealed logs a reopen reads, besides the active log. */
    private baseBytes: number,
    /** Those files themselves, for the probe's check that they are still there (missingBaseFile). */
    private base: readonly PlacedFile[],
  ) {}

  /**
   * A snapshot or sealed log a reopen needs that was removed or replaced under the running instance,
   * or undefined. Not looked for while a compaction runs, which replaces those files itself; one
   * that starts or ends during the look makes it say nothing, since it may have removed what was
   * looked at.
   */
  async missingBaseFile(): Promise<string | undefined> {
    if (this.running) return undefined;
    // Every compaction that gets as far as a new log replaces `base`, whether it then succeeds or not.
    const { base } = this;
    const missing = await firstMissing(this.dir, base);
    return this.running || this.base !== base ? undefined : missing;
  }

  /** Bytes a reopen would read: the garbage ratio is measured against it. */
  get diskBytes(): number {
    return this.baseBytes + this.writer.log.position;
  }

  get activeGeneration(): number {
    return this.generation;
  }

  get compactions(): number {
    return this.completed;
  }

  /** stop() was called: no compaction starts any more. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** The last compaction's failure; writes are unaffected by it, the logs just keep growing. */
  get lastError(): FileIoError | null {
    return this.failure;
  }

  /** Called after each durable batch; starts a compaction when the policy says so. */
  maybeStart(): void {
    if (this.running) {
      this.landedWhileRunning = true;
      return;
    }
    if (this.stopped) return;
    const disk = this.diskBytes;
    if (disk < this.policy.minBytes || disk < this.retryAtBytes) return;
    if ((disk - this.index.liveBytes) / disk < this.policy.garbageRatio) return;
    void this.compact();
  }

  /**
   * Called by each liveness probe. A compaction not started for lack of room (whether the policy or
   * compact() asked for it) is tried again as soon as there may be room: the try begins with the
   * same statfs check, a cheap call. Before, it waited for another `minBytes` of log, which on a
   * store written slowly took days, all of them reported as failing. Other failures wait for more
   * log as before, since their retry writes a snapshot.
   */
  retryIfRoom(): void {
    if (this.skippedForRoom && !this.running && !this.stopped) void this.compact();
  }

  /**
   * Compacts now (or joins the compaction already running). Never rejects; see lastError. Once
   * stopped, starts none: a probe's rewrite (FileBackend.rewriteLost) racing close() began one after
   * the lock was released, and the process exiting under it left a log with no snapshot.
   */
  compact(): Promise<void> {
    if (this.stopping) return this.running ?? Promise.resolve();
    this.running ??= this.run().finally(() => {
      this.running = undefined;
      // Batches that landed meanwhile found it running and started nothing: if they pushed the
      // garbage past the policy, the next compaction must not wait for another write. Only then:
      // a compaction's own framing counts as garbage, so after one with nothing written meanwhile
      // a tiny policy could find itself met again, and compact for ever.
      if (this.landedWhileRunning) {
        this.landedWhileRunning = false;
        this.maybeStart();
      }
    });
    return this.running;
  }

  /**
   * A compaction that starts after this call, not one already running, which copied the index
   * before it and may hold values superseded since: once this resolves, no value superseded or
   * deleted before the call is left in the directory's files (a rotation of the secrets' key relies
   * on it). Rejects with why that compaction failed or was not started (FileIoError: a full disk),
   * or with ClosedError once the instance is closing.
   */
  async compactFromNow(): Promise<void> {
    if (this.running) await this.running;
    // Any compaction running now (started by the policy as the last one ended) began after the
    // call, and compact() joins it.
    if (this.stopping) throw new ClosedError(`${this.dir} is closing: no compaction was started`);
    await this.compact();
    if (this.failure) throw this.failure;
  }

  /** Starts no more compactions, and waits for a running one to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async run(): Promise<void> {
    const generation = this.generation + 1;
    // A snapshot that cannot fit only takes the last free space from the writes going on, then
    // fails anyway; one that needs more than there is is not started.
    const room = await statfs(this.dir).then(
      (fs) => fs.bavail * fs.bsize,
      () => undefined,
    );
    const needed = this.index.liveBytes + COMPACTION_HEADROOM_BYTES;
    if (room !== undefined && room < needed) {
      const file = snapshotName(generation);
      this.failure = new FileIoError(
        `compact ${file} skipped: the snapshot needs about ${needed} bytes free, and the filesystem has ${room}`,
        { op: 'compact', file, errno: 'ENOSPC' },
      );
      this.retryAtBytes = this.diskBytes + this.policy.minBytes;
      this.skippedForRoom = true;
      return;
    }
    this.skippedForRoom = false;
    try {
      const state = await this.writer.runExclusive(async () => {
        // A broken writer's log may hold a failed batch past its last durable one. Only the newest
        // log's tail is cut at open, so starting a newer log would turn that tail into corruption.
        const broken = this.writer.broken;
        if (broken) throw broken;
        const sealed = this.writer.log;
        // Before the new log exists: a failure after it would leave that log behind unused.
        const { dev, ino } = await sealed.handle.stat();
        const handle = await createLog(this.dir, generation, this.openFile, this.logSync);
        this.writer.retarget({ handle, name: logName(generation), position: HEADER_BYTES });
        this.generation = generation;
        this.baseBytes += sealed.position;
        // Until the snapshot is written, a reopen reads the sealed log too.
        this.base = [...this.base, { name: sealed.name, dev, ino }];
        // Every batch in the sealed log is already durable; a failed close loses nothing.
        await sealed.handle.close().catch(() => undefined);
        return this.index.copy();
      });
      const snapshotBytes = await writeSnapshot(this.dir, generation, state, this.openFile);
      this.baseBytes = snapshotBytes;
      this.base = await placedFiles(this.dir, [snapshotName(generation)]);
      await removeOlderThan(this.dir, generation);
      this.completed++;
      this.failure = null;
      // The next compaction is the policy's again: a threshold raised by failures, kept after this
      // success, had it wait for the log to pass the size at the last failure plus minBytes, and a
      // disk freed by less than that filled again with no compaction even tried.
      this.retryAtBytes = 0;
    } catch (error) {
      this.failure = ioError('compact', snapshotName(generation), error);
      this.retryAtBytes = this.diskBytes + this.policy.minBytes;
    }
  }
}

/** Creates a log holding only its header, durably: the header and the directory entry are synced. */
export async function createLog(
  dir: string,
  generation: number,
  openFile: OpenFile,
  sync: LogSync,
): Promise<FileHandle> {
  const path = pathIn(dir, logName(generation));
  let handle: FileHandle | undefined;
  try {
    handle = await createFile(openFile, path, logFlags(sync).created);
    const header = encodeHeader(FileType.Log, generation);
    await writevFully(handle, [header], 0);
    // An O_DSYNC write is durable already.
    if (sync === 'fdatasync') await handle.datasync();
    await syncDirectory(dir);
    return handle;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw ioError('create', logName(generation), error);
  }
}

async function removeOlderThan(dir: string, generation: number): Promise<void> {
  const listing = classify(await readdir(dir));
  const obsolete = [
    ...listing.snapshots.filter((g) => g < generation).map(snapshotName),
    ...listing.logs.filter((g) => g < generation).map(logName),
  ];
  for (const name of obsolete) await unlink(pathIn(dir, name));
  if (obsolete.length > 0) await syncDirectory(dir);
}
