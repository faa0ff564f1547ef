import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { checkAnyGvk, type GroupVersionKind, gvkString, parseGvkString } from '../../contract/gvk.js';
import type { MachineId } from '../../contract/machine-id.js';
import type { ObjectKey } from '../../contract/object-key.js';
import {
  ClosedError,
  ConfigError,
  FileIoError,
  LockedError,
  NotInitializedError,
  ObjectTooLargeError,
  StowageError,
  TooManyObjectsError,
} from '../../errors/index.js';
import type { Backend, BackendRecord, OpenOptions } from '../backend.js';
import { Compactor, createLog } from './compactor.js';
import { checkRecordNames, HEADER_BYTES, MAX_VALUE_BYTES, RecordOp } from './format.js';
import {
  DIR_MODE,
  DISK_FULL_ERRNOS,
  ensureFileMode,
  FILE_FLAGS,
  FILE_MODE,
  ioError,
  LOCK_FILE,
  type LogSync,
  logFlags,
  logName,
  PROBE_BYTES,
  PROBE_FILE,
  pathIn,
  snapshotName,
  syncDirectory,
} from './layout.js';
import { DirectoryLock, type LockOwner } from './lock.js';
import { type LogIo, LogWriter, type PendingWrite } from './log-writer.js';
import { makeDirectories, tightenMode } from './make-directories.js';
import { type FileBackendOptions, type ResolvedFileBackendOptions, resolveOptions } from './options.js';
import {
  checkInstanceExists,
  checkStillHoldsData,
  directoryMoved,
  type FileIdentity,
  fileIdentity,
  logDetached,
  placedFiles,
} from './placement.js';
import { RecordIndex } from './record-index.js';
import { type RecoveryReport, recover } from './recovery.js';

/** A put or delete on its way to the log, with what applying it to the index needs. */
interface FileWrite extends PendingWrite {
  readonly op: RecordOp;
  readonly gvk: string;
  readonly key: string;
  /** Set when a delete is applied: whether the record existed. */
  existed: boolean;
}

interface OpenState {
  readonly lock: DirectoryLock;
  readonly writer: LogWriter<FileWrite>;
  readonly compactor: Compactor<FileWrite>;
  readonly report: RecoveryReport;
  /** The directory as it was opened, for the probe's check that it is still there (placement.ts). */
  readonly directory: FileIdentity;
}

/** Counters for tests, benchmarks and operators. */
export interface FileBackendStats {
  readonly records: number;
  readonly liveBytes: number;
  readonly diskBytes: number;
  readonly generation: number;
  readonly compactions: number;
  readonly lastCompactionError: string | null;
  /** How batches reach the disk (FileBackendOptions.blockingIo). */
  readonly io: LogIo;
  /** How batches are made durable (FileBackendOptions.logSync). */
  readonly logSync: LogSync;
}

/**
 * A directory holding an append-only log with group commit, periodically compacted into a
 * snapshot, and an in-memory index of every record (docs/file-format.md). Reads never touch
 * the disk; a write resolves once its batch is durable (FileBackendOptions.logSync).
 */
export class FileBackend implements Backend {
  readonly kind = 'file';
  /** Writes join the log's queue, in call order, before put/delete return; see get() for reads. */
  readonly keepsCallOrder: boolean = true;
  readonly dir: string;
  private readonly options: ResolvedFileBackendOptions;
  private index = new RecordIndex();
  private state: OpenState | undefined;
  /** The open under way or done, and the machine it is for (see open()). */
  private opening: { readonly machineId: MachineId; readonly done: Promise<void> } | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** A rewrite of removed files under way, which a write, a probe or close() joins. */
  private rewriting: Promise<void> | undefined;
  private onRepairing: ((active: boolean) => void) | undefined;

  constructor(dir: string, options: FileBackendOptions = {}) {
    // resolve('') is the working directory: an empty dir would have written the log there.
    if (typeof dir !== 'string' || dir === '') {
      throw new ConfigError('a file backend needs dir, a non-empty string', { field: 'dir' });
    }
    this.dir = resolve(dir);
    this.options = resolveOptions(options);
  }

  /**
   * Opens the directory for `machineId`. A second call for the same machine joins the open under
   * way or done (two callers initializing at once must not fence each other off with this process's
   * own lock); a call for another machine is refused like any other writer. A failed open can be
   * retried. With `options.reopening`, the directory must still hold a log or a snapshot.
   */
  open(machineId: MachineId, options?: OpenOptions): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`file backend ${this.dir} is closed`));
    const current = this.opening;
    if (current) {
      if (current.machineId.equals(machineId)) return current.done;
      return Promise.reject(
        new LockedError(
          `file backend ${this.dir} is already open in this process for machine ${current.machineId}`,
          {
            lockFile: pathIn(this.dir, LOCK_FILE),
            machineId: current.machineId.toString(),
            pid: process.pid,
            hostname: hostname(),
          },
        ),
      );
    }
    this.onRepairing = options?.onRepairing;
    const done = this.openOnce(machineId, options?.reopening === true);
    this.opening = { machineId, done };
    done.catch(() => {
      if (this.opening?.done === done) this.opening = undefined;
    });
    return done;
  }

  private async openOnce(machineId: MachineId, reopening: boolean): Promise<void> {
    let lock: DirectoryLock;
    try {
      if (reopening) await checkStillHoldsData(this.dir);
      else if (!this.options.create) await checkInstanceExists(this.dir);
      const created = await makeDirectories(this.dir, DIR_MODE).catch((error) => {
        throw ioError('mkdir', this.dir, error);
      });
      if (created !== undefined) await syncNewDirectories(created, this.dir);
      await tightenMode(this.dir, DIR_MODE).catch((error) => {
        throw ioError('chmod', this.dir, error);
      });
      lock = await DirectoryLock.acquire(this.dir, machineId);
    } catch (error) {
      throw error instanceof StowageError ? error : ioError('lock', this.dir, error);
    }
    try {
      // At open, while the disk has room, so that PROBE_FILE holds its block before it can fill. A
      // full disk passes here as in a probe; any other failure (PROBE made a directory, immutable,
      // unreadable) fails the open: every probe would fail the same way, and an instance opened
      // anyway went up and down at each restart until the restart limit.
      await this.writeProbe();
      const directory = await fileIdentity(this.dir);
      this.index = new RecordIndex();
      const recovered = await recover(this.dir, this.index, true);
      const generation = recovered.active?.generation ?? recovered.baseGeneration;
      const name = logName(generation);
      // Before the handle is opened, which a failure here would leave open.
      const base = await placedFiles(this.dir, readBesides(recovered.report, name));
      const handle = recovered.active
        ? await this.options.openFile(
            pathIn(this.dir, name),
            logFlags(this.options.logSync).existing,
            FILE_MODE,
          )
        : await createLog(this.dir, generation, this.options.openFile, this.options.logSync);
      const position = recovered.active?.size ?? HEADER_BYTES;
      const writer = new LogWriter<FileWrite>(
        { handle, name, position },
        (batch) => this.apply(batch),
        this.options.io,
        this.options.logSync,
        (log) => this.rewriteDetached(log),
      );
      const compactor = new Compactor(
        this.dir,
        writer,
        this.index,
        this.options.openFile,
        this.options.logSync,
        { minBytes: this.options.compactMinBytes, garbageRatio: this.options.compactGarbageRatio },
        generation,
        recovered.diskBytes - (recovered.active?.size ?? 0),
        base,
      );
      if (this.closed) {
        // close() ran while this open was under way and found nothing to close: this open must
        // not leave its handle and its lock behind.
        await handle.close().catch(() => undefined);
        throw new ClosedError(`file backend ${this.dir} was closed while it opened`);
      }
      this.state = { lock, writer, compactor, report: recovered.report, directory };
    } catch (error) {
      await lock.release().catch(() => undefined);
      throw error instanceof StowageError ? error : ioError('open', this.dir, error);
    }
  }

  put(gvk: GroupVersionKind, key: ObjectKey, bytes: Uint8Array): Promise<void> {
    const id = gvkString(gvk);
    let writer: OpenState['writer'];
    // Not async, for the hot path; every refusal still comes back as a rejected promise.
    try {
      ({ writer } = this.opened());
      // The first put of a kind checks its GVK: a direct caller's `Core/v1/X` or `a/b/v1/X` was
      // stored, and then failed kinds(), and with it every dump, copy and verify, on each reopen.
      // Later puts of the kind share its id, which only the same parts or group "core" can spell.
      if (gvk.group === 'core' || this.index.countOf(id) === 0) checkAnyGvk(gvk);
      checkRecordNames(id, key);
      if (bytes.byteLength > MAX_VALUE_BYTES) {
        throw ObjectTooLargeError.over(
          'the value',
          bytes.byteLength,
          MAX_VALUE_BYTES,
          "the file format's limit",
        );
      }
      const { maxObjectsPerKind } = this.options;
      if (this.index.countOf(id) >= maxObjectsPerKind && !this.index.has(id, key)) {
        throw TooManyObjectsError.at(id, maxObjectsPerKind);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      writer.submit({ op: RecordOp.Put, gvk: id, key, value: bytes, existed: false, resolve, reject });
    });
  }

  /**
   * The index holds durable state, but a write to this key submitted before this read may still be
   * on its way to disk. Then the read waits for it and answers with it: the newest earlier write
   * decides, not the index, which by then may also hold writes submitted after this read (they can
   * share its batch). If that write failed, nothing of its batch was applied, and the index answers.
   */
  async get(gvk: GroupVersionKind, key: ObjectKey): Promise<Uint8Array | undefined> {
    const { writer } = this.opened();
    const id = addressedId(gvk);
    const earlier = writer.newestOutstanding((write) => write.key === key && write.gvk === id);
    if (earlier && (await writer.settled(earlier))) {
      return earlier.op === RecordOp.Put ? earlier.value : undefined;
    }
    return this.index.get(id, key);
  }

  delete(gvk: GroupVersionKind, key: ObjectKey): Promise<boolean> {
    let writer: OpenState['writer'];
    let id: string;
    try {
      ({ writer } = this.opened());
      id = addressedId(gvk);
    } catch (error) {
      return Promise.reject(error);
    }
    // Deleting what is absent, with no write to it outstanding, writes nothing. That includes a key
    // too long for the format (checkRecordNames), which no put can have stored. Outstanding, not
    // just pending: a write already durable but not yet settled (settling goes a chunk per turn)
    // must complete before this delete does.
    if (!this.index.has(id, key) && !writer.newestOutstanding((w) => w.key === key && w.gvk === id)) {
      return Promise.resolve(false);
    }
    return new Promise((resolve, reject) => {
      const write: FileWrite = {
        op: RecordOp.Delete,
        gvk: id,
        key,
        value: undefined,
        existed: false,
        resolve: () => resolve(write.existed),
        reject,
      };
      writer.submit(write);
    });
  }

  async *list(gvk: GroupVersionKind): AsyncIterable<BackendRecord> {
    this.opened();
    for (const [key, bytes] of this.index.list(addressedId(gvk))) yield { key: key as ObjectKey, bytes };
  }

  async kinds(): Promise<GroupVersionKind[]> {
    this.opened();
    return this.index.gvks().map(parseGvkString);
  }

  /**
   * A small write and fdatasync in the directory, plus checks that the directory and its log are
   * still where they were opened and that the lock is still ours. A directory removed, moved or
   * replaced fails this probe and every later write: what they would write could never be read
   * back. A log or snapshot removed or replaced in a directory still there is written again from
   * memory, in the background (see repaired()): the probe says whether the instance is alive, and
   * a rewrite of a large instance takes longer than a probe may. If it fails, every later write and
   * probe fails with why.
   */
  async probe(): Promise<void> {
    try {
      await this.probeOpen();
    } catch (error) {
      // close() ran meanwhile: the handle the probe was using is gone ("file closed", EBADF).
      if (this.closed && !(error instanceof ClosedError)) {
        throw new ClosedError(`file backend ${this.dir} was closed during its probe`);
      }
      throw error;
    }
  }

  private async probeOpen(): Promise<void> {
    const state = this.opened();
    const { writer, lock, compactor, directory } = state;
    if (writer.broken) throw writer.broken;
    const moved = await directoryMoved(this.dir, directory);
    if (moved) {
      writer.refuse(moved);
      throw moved;
    }
    await lock.verify();
    try {
      await this.writeProbe();
    } catch (error) {
      // The directory can go between the check above and this write (rm -r empties it, then
      // removes it): that is the news, not the probe file's ENOENT.
      const gone = await directoryMoved(this.dir, directory);
      if (gone) {
        writer.refuse(gone);
        throw gone;
      }
      throw error;
    }
    const lost = await this.lostFile(writer, compactor);
    // Its failure is the writer's refusal, which the next probe and every write report.
    if (lost !== undefined) this.rewrite(lost, state).catch(() => undefined);
    compactor.retryIfRoom();
  }

  /**
   * Resolves once the rewrite of removed files that a probe or a write started has finished, or at
   * once when none runs; rejects with why it failed.
   */
  async repaired(): Promise<void> {
    await this.rewriting;
  }

  /** Whether such a rewrite runs now (OpenOptions.onRepairing tells its start and end). */
  repairing(): boolean {
    return this.rewriting !== undefined;
  }

  /**
   * rewriteLost(), or the one already running, which then covers `lost` too (see its loop). No
   * write is acknowledged meanwhile, whoever started it: while a file a reopen needs is missing, a
   * write durable in the directory is still lost by a crash (a reopen refuses the directory).
   */
  private rewrite(lost: string, state: OpenState): Promise<void> {
    if (!this.rewriting) {
      this.onRepairing?.(true);
      this.rewriting = this.rewriteLost(lost, state).finally(() => {
        this.rewriting = undefined;
        this.onRepairing?.(false);
      });
      state.writer.holdUntil(this.rewriting);
    }
    return this.rewriting;
  }

  /**
   * The log writer wrote a batch to `log` after it was removed or replaced: it holds that batch's
   * acknowledgements, and every later one, until this has written every record again.
   */
  private async rewriteDetached(log: string): Promise<void> {
    // Set: the writer writes only for an open instance. Not opened(): a close() under way waits for
    // these writes, and then for this rewrite (closeOnce).
    const state = this.state as OpenState;
    // A rewrite already running may have made its last check before this batch and end without
    // covering it. One that succeeds with `log` detached has moved writes to a newer log, and the
    // batch was applied before that move, so the new snapshot holds it: until then, again.
    do await this.rewrite(log, state);
    while (state.writer.log.name === log);
  }

  /**
   * A file a reopen needs that is no longer where it was: the active log (looked at between
   * batches, so that a compaction cannot swap it between the two looks), or a snapshot or sealed
   * log before it.
   */
  private async lostFile(
    writer: LogWriter<FileWrite>,
    compactor: Compactor<FileWrite>,
  ): Promise<string | undefined> {
    const active = writer.log.name;
    if (await writer.runExclusive(() => logDetached(this.dir, writer.log))) return active;
    return compactor.missingBaseFile();
  }

  /**
   * A file a reopen needs was removed or replaced while open; the index, which every acknowledged
   * write reached, still holds all of it. A compaction writes it as a new snapshot beside a new log,
   * as a crash-safe compaction always does, and acknowledged writes are durable where a reopen will
   * look again. When it was the active log, the writer holds every acknowledgement from the first
   * batch written after the removal until this is done (rewriteDetached). When it was a snapshot, a
   * crash before the rewrite reopens without it (refused as corrupt, or missing what it held).
   */
  private async rewriteLost(lost: string, state: OpenState): Promise<void> {
    const { writer, compactor } = state;
    // Twice: the first call may join a compaction that had already moved to the log now removed.
    // Once close() has stopped the compactor it starts none; close() rewrites before it stops it.
    for (let attempt = 0; attempt < 2; attempt++) {
      await compactor.compact();
      if ((await this.lostFile(writer, compactor)) === undefined) {
        process.emitWarning(
          `file instance ${this.dir}: ${lost} was removed or replaced while open; every record was written again from memory, as ${snapshotName(compactor.activeGeneration)}`,
          { type: 'StowageWarning', code: 'STOWAGE_LOG_REWRITTEN' },
        );
        return;
      }
    }
    // close() stopped the compactor before this rewrite could run (close() joins any it finds first).
    if (compactor.stopped) {
      throw new ClosedError(`file backend ${this.dir} was closed while it wrote ${lost} again`);
    }
    // The directory gone with it is what to report: it says what brings the records back.
    const moved = await directoryMoved(this.dir, state.directory);
    const failure = compactor.lastError;
    const error =
      moved ??
      new FileIoError(
        `${lost} was removed or replaced in ${this.dir} while open, and writing every record again from memory failed (${failure?.message ?? `${writer.log.name} was removed too`}), so writes are refused from now on; the records acknowledged since are only in this process's memory`,
        // The compaction's own errno: ENOSPC is a full disk (HTTP 507), not a missing file.
        { op: 'probe', file: lost, errno: failure?.details.errno ?? 'ENOENT' },
      );
    writer.refuse(error);
    throw error;
  }

  /**
   * Overwrites PROBE_FILE's bytes in place and syncs them. In place, so that a probe of a full disk
   * needs no new block: truncating and rewriting it did, once it had lost its block, and the failed
   * probes had the supervisor restart the worker, whose reopen needed a block for the lock and
   * failed, until the restart limit left the instance down, reads included. A full disk that still
   * refuses the write (the first one, or any on a copy-on-write filesystem) passes: the disk
   * answered, writes fail with their own typed errors, and a restart cannot make room.
   */
  private async writeProbe(): Promise<void> {
    try {
      const handle = await this.options.openFile(pathIn(this.dir, PROBE_FILE), FILE_FLAGS.probe, FILE_MODE);
      try {
        await ensureFileMode(handle);
        const text = `${String(Date.now()).padEnd(PROBE_BYTES - 1)}\n`;
        await handle.write(Buffer.from(text), 0, PROBE_BYTES, 0);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (DISK_FULL_ERRNOS.has((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error instanceof FileIoError ? error : ioError('probe', PROBE_FILE, error);
    }
  }

  /** Every call returns the same close, so none resolves before the writes and the lock are done. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    // An open under way sees `closed` before it keeps what it took and releases its lock itself;
    // close() must not resolve before that, or the next writer finds the lock still held.
    await this.opening?.done.catch(() => undefined);
    const state = this.state;
    if (!state) return;
    let lostAtClose: unknown;
    try {
      // The writes already taken become durable first, those held for a rewrite included.
      await state.writer.idle();
      lostAtClose = await this.keepLostFiles(state).then(
        () => undefined,
        (error: unknown) => error,
      );
      // Then compaction stops: one started by the last batches would still be writing its
      // snapshot and deleting files after the lock is released.
      await state.compactor.stop();
      await state.writer.idle();
      // Every batch in the log is durable already: a failed close of its handle loses nothing.
      await state.writer.log.handle.close().catch(() => undefined);
    } finally {
      await state.lock.release().catch((error: unknown) => {
        throw error instanceof StowageError ? error : ioError('unlock', this.dir, error);
      });
    }
    if (lostAtClose !== undefined) throw lostAtClose;
  }

  /**
   * At close: a log, snapshot or sealed log removed since the last probe is written again before
   * the lock is released, since a reopen reads only what is on disk. Rejects when that fails, now
   * or in a rewrite before (a full disk): the records it held are then lost with this process.
   */
  private async keepLostFiles(state: OpenState): Promise<void> {
    const { writer, compactor } = state;
    let lost: string | undefined;
    try {
      await this.rewriting;
      lost = await this.lostFile(writer, compactor).catch(() => undefined);
      if (lost === undefined) return;
      // A writer that refuses writes (a rewrite failed before, the directory went) writes no more.
      if (writer.broken) throw writer.broken;
      await this.rewrite(lost, state);
    } catch (error) {
      // A directory removed or moved whole is reported by the probe and by every write since, with
      // what brings it back (placement.ts); moved, its files are intact where it went.
      if (await directoryMoved(this.dir, state.directory).catch(() => undefined)) return;
      const failure = compactor.lastError;
      throw new FileIoError(
        `${lost ?? 'a file a reopen needs'} was removed or replaced in ${this.dir}, and writing its records again failed (${failure?.message ?? (error as Error).message}): the records it held were only in this process's memory, and are lost with this close`,
        { op: 'close', file: lost ?? this.dir, errno: failure?.details.errno ?? 'ENOENT' },
      );
    }
  }

  /** What open found: the files read, and the bytes of a torn tail it truncated. */
  recovery(): RecoveryReport {
    return this.opened().report;
  }

  /** This writer's lock, and the dead owner whose stale lock it took over, if any. */
  lockInfo(): { readonly owner: LockOwner; readonly tookOverFrom: LockOwner | null } {
    const { lock } = this.opened();
    return { owner: lock.owner, tookOverFrom: lock.tookOverFrom };
  }

  tornTailBytes(): number {
    return this.opened().report.droppedBytes;
  }

  stats(): FileBackendStats {
    const { compactor } = this.opened();
    return {
      records: this.index.size,
      liveBytes: this.index.liveBytes,
      diskBytes: compactor.diskBytes,
      generation: compactor.activeGeneration,
      compactions: compactor.compactions,
      lastCompactionError: compactor.lastError?.message ?? null,
      io: this.options.io,
      logSync: this.options.logSync,
    };
  }

  compactionFailure(): string | null {
    return this.state?.compactor.lastError?.message ?? null;
  }

  writesRefused(): FileIoError | undefined {
    return this.state?.writer.broken;
  }

  /** Backend.compact: a compaction now, whatever the policy says (Compactor.compactFromNow). */
  async compact(): Promise<void> {
    await this.opened().compactor.compactFromNow();
  }

  private apply(batch: readonly FileWrite[]): void {
    for (const write of batch) {
      if (write.op === RecordOp.Put) {
        this.index.put(write.gvk, write.key, write.value as Uint8Array);
      } else {
        write.existed = this.index.delete(write.gvk, write.key);
      }
    }
    this.state?.compactor.maybeStart();
  }

  private opened(): OpenState {
    if (this.closed) throw new ClosedError(`file backend ${this.dir} is closed`);
    if (!this.state) throw new NotInitializedError(`file backend ${this.dir} is not open`);
    return this.state;
  }
}

/**
 * Makes directories mkdir just created durable: each one's entry lives in its parent, which is
 * synced. The instance directory's own entries (the lock, the logs) are synced as they are made.
 * Without this a power cut could take the new directory, and every write acknowledged in it, away.
 */
async function syncNewDirectories(firstCreated: string, dir: string): Promise<void> {
  const stop = dirname(firstCreated);
  for (let created = dir; created !== stop && created !== dirname(created); created = dirname(created)) {
    await syncDirectory(dirname(created));
  }
}

/** The files a reopen reads besides the active log: the snapshot opened, and logs sealed before. */
function readBesides(report: RecoveryReport, active: string): string[] {
  return [
    ...(report.snapshot === null ? [] : [report.snapshot]),
    ...report.logs.filter((log) => log !== active),
  ];
}

/**
 * The index id of a GVK a read or delete names. Group `core` would spell the core group's id
 * (gvkString), and reach its records: refused, as put refuses it. Other malformed GVKs name ids no
 * put stored, so they find nothing, and need no check on this path.
 */
function addressedId(gvk: GroupVersionKind): string {
  if (gvk.group === 'core') checkAnyGvk(gvk);
  return gvkString(gvk);
}
