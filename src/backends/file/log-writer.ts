import { fdatasyncSync, fstatSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { thrownText } from '../../errors/base.js';
import { FileIoError, InternalError, MAX_WIRE_MESSAGE_CHARS, StowageError } from '../../errors/index.js';
import { BatchEncoder, type BatchRecord, type EncodedBatch, recordBytesAtMost } from './batch-encoder.js';
import { ioError, type LogSync } from './layout.js';
import { writevFully, writevFullySync } from './write-fully.js';

/** Writes settled per event-loop turn with thread-pool I/O; see LogWriter.settle(). */
const SETTLE_CHUNK = 32;

/**
 * A batch takes pending writes up to this many bytes of records (a larger record goes alone), so
 * one batch never outgrows the format's 32-bit payload length however much waits, and one durable
 * writev and one read at recovery stay bounded. At 256 puts of 2 KiB in flight a batch is
 * about 0.5 MiB.
 */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Which thread writes a batch (and, with LogSync `fdatasync`, syncs it). `thread-pool`:
 * FileHandle.writev (and datasync), which run on libuv's thread pool while this thread goes on.
 * `blocking`: writevSync (and fdatasyncSync) on this thread, for a thread that does nothing but
 * serve this log (an actor's worker). It saves the hand-offs to the pool and back per batch, and a
 * third busy thread on a small machine; docs/architecture.md ("Blocking log I/O in the worker")
 * has what it measured.
 */
export type LogIo = 'thread-pool' | 'blocking';

/**
 * One record waiting for its batch to become durable. Its value is read when the batch is written,
 * so its buffer must not change after submit(); the index keeps it afterwards too.
 */
export interface PendingWrite extends BatchRecord {
  resolve(): void;
  reject(error: Error): void;
  /** Run right after this write is settled, with whether it became durable; see LogWriter.settled(). */
  afterSettled?: ((durable: boolean) => void)[];
}

/**
 * Called when a batch was written to a log that had been removed or replaced in its directory (see
 * detached()). Resolves once every record applied so far is durable in files a reopen
 * reads, or rejects with why that failed.
 */
export type OnDetached = (log: string) => Promise<void>;

/** The log file the writer appends to; swapped whole when compaction starts a new generation. */
export interface LogTarget {
  readonly handle: FileHandle;
  readonly name: string;
  /** Where the next batch goes: the end of the last durable batch. */
  readonly position: number;
}

/**
 * Group commit. Writes that arrive while a batch is being written wait and go out together as the
 * next batch (up to MAX_BATCH_BYTES): one writev, durable when it returns (LogSync `o_dsync`) or
 * followed by one fdatasync, then every write in it resolves.
 * Only one batch is ever unsynced, so a crash can tear only the log's last batch. The next batch
 * is dispatched the moment the previous one is durable, before its callers run, so the disk works
 * while they produce more writes. Exclusive tasks (starting a new log) run between batches.
 *
 * A failed write or sync rejects its whole batch and truncates the log back to the last durable
 * batch, so nothing a caller saw fail can reappear after a restart. If even that fails, the writer
 * is broken: every later write fails with the same error until the instance is reopened.
 *
 * A batch written to a log that was removed or replaced meanwhile (an `rm`, a cleanup job) is
 * durable only in a file no reopen will read. It is applied like any other, but no write is settled
 * until `onDetached` has written every record again from memory; see holdUntil().
 */
export class LogWriter<W extends PendingWrite> {
  private pending: W[] = [];
  /** The batch being written right now. */
  private inflight: readonly W[] = [];
  private exclusive: (() => Promise<void>)[] = [];
  private scheduled = false;
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private brokenBy: FileIoError | undefined;
  /** Writes whose outcome is known but not yet delivered, oldest first; see settle(). */
  private unsettled: { readonly write: W; readonly error: Error | undefined }[] = [];
  private settling = false;
  /** Rewrites of removed files not yet finished (holdUntil); nothing is settled while any runs. */
  private holds = 0;
  private readonly settleChunkSize: number;
  private readonly encoder = new BatchEncoder();

  constructor(
    private target: LogTarget,
    /** Called with each durable batch, in order, before any of its writes resolves. */
    private readonly onDurable: (batch: readonly W[], bytes: number) => void,
    private readonly io: LogIo,
    /** Must match how the target's handle was opened (logFlags). */
    private readonly sync: LogSync,
    private readonly onDetached: OnDetached,
  ) {
    // Blocking I/O has no completions to interleave with settling, and a chunk left for a later
    // turn would wait behind the next batch's write.
    this.settleChunkSize = io === 'blocking' ? Number.POSITIVE_INFINITY : SETTLE_CHUNK;
  }

  get broken(): FileIoError | undefined {
    return this.brokenBy;
  }

  /** Fails every later write with `error`: the log can no longer keep what it is given. */
  refuse(error: FileIoError): void {
    this.brokenBy ??= error;
  }

  get log(): LogTarget {
    return this.target;
  }

  /**
   * The newest submitted write that matches and has not been settled yet (its caller not yet
   * resolved or rejected). Linear in the writes outstanding; only reads that overlap writes pay it.
   */
  newestOutstanding(match: (write: W) => boolean): W | undefined {
    return (
      this.pending.findLast(match) ??
      this.inflight.findLast(match) ??
      this.unsettled.findLast((entry) => match(entry.write))?.write
    );
  }

  /** Resolves right after `write`, an outstanding write, is settled: true if it became durable. */
  settled(write: W): Promise<boolean> {
    return new Promise((resolve) => {
      write.afterSettled ??= [];
      write.afterSettled.push(resolve);
    });
  }

  submit(write: W): void {
    if (this.brokenBy) {
      this.settle([write], this.brokenBy);
      return;
    }
    this.pending.push(write);
    this.schedule();
  }

  /** Runs `task` between batches, with no write in progress; it may replace the target. */
  runExclusive<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.exclusive.push(() => task().then(resolve, reject));
      this.schedule();
    });
  }

  /** Points later batches at another log. Only call from an exclusive task. */
  retarget(target: LogTarget): void {
    this.target = target;
  }

  /** Resolves once nothing is queued or running, and every write has been settled. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.running && !this.scheduled && this.pending.length === 0 && this.unsettled.length === 0;
  }

  private wakeIdleWaiters(): void {
    if (this.isIdle()) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      this.next();
    };
    // Thread-pool I/O starts in a microtask: the batch's I/O runs while the caller's turn is still
    // producing writes, and those wait for the next batch instead of delaying this one. Blocking
    // I/O would stop that turn instead, so it starts at the turn's end, and everything that arrived
    // in the turn (every message the worker received) joins the batch.
    if (this.io === 'blocking') setImmediate(start);
    else queueMicrotask(start);
  }

  /** Starts the next exclusive task or batch unless one runs; synchronous up to its first I/O call. */
  private next(): void {
    if (this.running) return;
    const task = this.exclusive.shift();
    if (task) {
      this.running = true;
      void task().finally(() => this.finished());
    } else if (this.pending.length > 0) {
      const batch = this.takeBatch();
      this.inflight = batch;
      this.running = true;
      void this.write(batch);
    } else {
      this.wakeIdleWaiters();
    }
  }

  /** The oldest pending writes, up to MAX_BATCH_BYTES of records; always at least one. */
  private takeBatch(): W[] {
    let bytes = 0;
    let count = 0;
    for (const write of this.pending) {
      const size = recordBytesAtMost(write);
      if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      count++;
    }
    if (count === this.pending.length) {
      const all = this.pending;
      this.pending = [];
      return all;
    }
    return this.pending.splice(0, count);
  }

  private finished(): void {
    this.running = false;
    this.inflight = [];
    this.next();
  }

  private async write(batch: W[]): Promise<void> {
    if (this.brokenBy) {
      this.failLater(batch, this.brokenBy);
      return;
    }
    let encoded: EncodedBatch;
    try {
      // The encoder's buffer is reused by the next batch, which is encoded only after this one's I/O.
      encoded = this.encoder.encode(batch);
    } catch (cause) {
      // Nothing reached the file. Only a value whose buffer changed after its write was submitted
      // (detached or shrunk, against PendingWrite's contract) or a failed allocation gets here.
      const error = new InternalError(
        `encoding a batch of ${batch.length} writes for ${this.target.name} failed, so none of them was made: ${(cause as Error).message}`,
      );
      this.failLater(batch, error);
      return;
    }
    const { handle, name, position } = this.target;
    try {
      await this.writeDurably(handle, encoded.buffers, position);
    } catch (cause) {
      const error = ioError('append', name, cause);
      await this.rollBack(error);
      this.fail(batch, this.brokenBy ?? error);
      return;
    }
    this.target = { handle, name, position: position + encoded.bytes };
    // Queued before finished(), so that idle() cannot report idle before these writes settle.
    this.queueSettle(batch, undefined);
    // Before finished(): a rewrite's compaction waits for its turn between batches, and the batch
    // is applied (onDurable) before that turn comes, so the rewrite's copy of the index holds it.
    if (detached(handle)) this.holdUntil(this.onDetached(name));
    // The next batch's I/O starts before this batch's callers run, so the two overlap.
    this.finished();
    this.onDurable(batch, encoded.bytes);
    this.drainSettled();
  }

  /**
   * fail(), once the synchronous work under way is done. Up to its first I/O, write() runs inside
   * the previous batch's completion (finished() → next()), before that batch is applied
   * (onDurable): settling now would resolve the previous batch's writes unapplied, a delete's
   * `existed` still unset among them.
   */
  private failLater(batch: readonly W[], error: Error): void {
    queueMicrotask(() => this.fail(batch, error));
  }

  /** Rejects every write of `batch` with `error`, then goes on to the next batch. */
  private fail(batch: readonly W[], error: Error): void {
    this.queueSettle(batch, error);
    this.finished();
    this.drainSettled();
  }

  /**
   * One writev (more only after a short write), durable when it returns: the log is opened
   * O_DSYNC, or it is fdatasync'ed after.
   */
  private async writeDurably(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
    if (this.io === 'blocking') {
      writevFullySync(handle.fd, buffers, position);
      if (this.sync === 'fdatasync') fdatasyncSync(handle.fd);
    } else {
      await writevFully(handle, buffers, position);
      if (this.sync === 'fdatasync') await handle.datasync();
    }
  }

  /**
   * Resolves (or, with `error`, rejects) writes, SETTLE_CHUNK per event-loop turn, strictly in
   * the order they were submitted: a later batch's writes queue behind an earlier batch's. Settling
   * a whole batch at once would let its callers run all their follow-up work (typically encoding
   * their next puts) in one microtask storm, during which this writer's own I/O completions cannot
   * be handled: the next batch's write would wait for all of it, and the CPU and the disk would
   * take turns instead of overlapping.
   */
  private settle(writes: readonly W[], error: Error | undefined): void {
    this.queueSettle(writes, error);
    this.drainSettled();
  }

  private queueSettle(writes: readonly W[], error: Error | undefined): void {
    for (const write of writes) this.unsettled.push({ write, error });
  }

  private drainSettled(): void {
    if (!this.settling) this.settleChunk();
  }

  /**
   * Settles nothing until `rewrite` is done: every write queued meanwhile (a detached batch's, and
   * those after it) is acknowledged only once durable where a reopen looks. If the rewrite fails,
   * those writes are in memory (applied) but not durable, and each fails saying so. The backend
   * holds the writer this way for every rewrite of removed files, whoever started it.
   */
  holdUntil(rewrite: Promise<void>): void {
    this.holds++;
    rewrite.then(
      () => this.release(undefined),
      (cause: unknown) => this.release(heldWriteFailed(cause)),
    );
  }

  private release(failure: FileIoError | undefined): void {
    this.holds--;
    if (failure)
      this.unsettled = this.unsettled.map(({ write, error }) => ({ write, error: error ?? failure }));
    this.drainSettled();
  }

  private settleChunk(): void {
    if (this.holds > 0) {
      this.settling = false;
      return;
    }
    const chunk = this.unsettled.splice(0, this.settleChunkSize);
    for (const { write, error } of chunk) {
      if (error) write.reject(error);
      else write.resolve();
      if (write.afterSettled) for (const wake of write.afterSettled) wake(error === undefined);
    }
    this.settling = this.unsettled.length > 0;
    if (this.settling) setImmediate(() => this.settleChunk());
    else this.wakeIdleWaiters();
  }

  /** Cuts the log back to its last durable batch; a log that cannot be cut stops taking writes. */
  private async rollBack(error: FileIoError): Promise<void> {
    const { handle, name, position } = this.target;
    try {
      await handle.truncate(position);
      await handle.datasync();
    } catch (cause) {
      this.brokenBy = new FileIoError(
        `${error.message}; truncating ${name} back to ${position} bytes also failed, so it takes no more writes until reopened: ${(cause as Error).message}`,
        // errno stays the write's (ENOSPC, say); the truncation's own is beside it.
        {
          ...error.details,
          op: 'rollback',
          rollbackErrno: (cause as NodeJS.ErrnoException).code ?? 'UNKNOWN',
        },
      );
    }
  }
}

/**
 * Why a write held for a rewrite (holdUntil) failed: the rewrite's own error, which says what
 * happened to the log or the directory and carries its errno (ENOSPC: a full disk), and what that
 * means for this write.
 */
function heldWriteFailed(cause: unknown): FileIoError {
  const reason = thrownText(cause, MAX_WIRE_MESSAGE_CHARS);
  const details = cause instanceof StowageError ? cause.details : {};
  return new FileIoError(
    `${reason}. This write was held for that rewrite, so it is applied in this process's memory (reads see it) but not durable`,
    { ...details, op: 'append', errno: typeof details.errno === 'string' ? details.errno : 'ENOENT' },
  );
}

/**
 * Whether the log behind `handle` has lost its last name: removed, or replaced by a rename over it.
 * An fstat reads the inode's link count from memory, a microsecond or two per batch; a log moved
 * to another name keeps its link and is left to the probe (placement.ts). An fstat that fails
 * tells nothing about the link, and the write itself succeeded: the batch is settled as durable.
 */
function detached(handle: FileHandle): boolean {
  try {
    return fstatSync(handle.fd).nlink === 0;
  } catch {
    return false;
  }
}
