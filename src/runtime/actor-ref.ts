import type { MachineId } from '../contract/machine-id.js';
import {
  ActorDiedError,
  ClosedError,
  fromWireError,
  InitializeFailedError,
  InternalError,
  type StowageError,
} from '../errors/index.js';
import { MeanWindow } from '../stats/mean-window.js';
import { KeyOrder } from '../store/key-order.js';
import { SharedTask } from '../store/shared-task.js';
import { Batcher, type BatcherConfig } from './batcher.js';
import { batchingFor } from './batching.js';
import { BusyMeter } from './busy-meter.js';
import { ListingSlots } from './listing-slots.js';
import { Mailbox } from './mailbox.js';
import type { Operation } from './observer.js';
import type { ResolvedOptions } from './options.js';
import { osThreadRunning, untilOsThreadsEnd } from './os-thread.js';
import type { HostReply, InstanceConfig, OpReply, OpRequest, OpValues } from './protocol.js';
import { settlesWithin } from './settles-within.js';
import type { WorkerEntry } from './worker-entry.js';
import { type DeathReason, WorkerSlot } from './worker-slot.js';

/**
 * How long close() waits for the threads of terminated workers to end. Ending JavaScript takes
 * milliseconds, but tearing down a large heap does not: a memory instance of 3M objects took 2.0 s
 * on the shared 2-core machine, and a bare 2.8 GiB heap 2.1 s. A thread still running after this is
 * blocked in a system call, or tearing down a heap larger still.
 */
export const TERMINATE_GRACE_MS = 10_000;

/** Operations that count toward meanPersistLatency: those that end in a backend commit. */
const PERSISTS = new Set<OpRequest['op']>(['put', 'put-encoded', 'delete', 'put-record', 'delete-record']);

const OBSERVED: Partial<Record<OpRequest['op'], Operation>> = {
  put: 'put',
  'put-encoded': 'put',
  get: 'get',
  delete: 'delete',
  'put-record': 'put',
  'get-record': 'get',
  'delete-record': 'delete',
};

/**
 * The main thread's handle on one instance's actor: its mailbox, its batcher and its current
 * worker. The supervisor decides when it starts and restarts; the facade sends it operations.
 * Latency statistics live here, on the main thread, so they survive worker restarts.
 */
export class ActorRef {
  /** meanPersistLatency: the last 1024 put/delete commits, facade call to worker reply, in seconds. */
  readonly latency = new MeanWindow(1024);
  readonly mailbox: Mailbox;
  /** Listings open on this instance at once, and those waiting for a slot (listing-slots.ts). */
  readonly listings = new ListingSlots((cursor) => this.cancelListing(cursor));
  private readonly batcher: Batcher;
  private readonly busy = new BusyMeter();
  private slot: WorkerSlot | undefined;
  /**
   * The worker whose open succeeded last. The backend serves while it is still `slot`: a restart
   * or a death replaces or clears `slot`, so nothing needs resetting here.
   */
  private openedSlot: WorkerSlot | undefined;
  private closed = false;
  /**
   * For a backend that does not keep call order, the worker runs each key's calls in order, but
   * replies per batch: a later batch can finish first. This holds back each reply until the
   * earlier calls on its key have been answered. Undefined when replies cannot overtake.
   */
  private replyOrder: KeyOrder | undefined;
  private readonly batching: BatcherConfig;
  /** Cursors of abandoned listings waiting for the cancel task (cancelListing). */
  private readonly abandonedCursors: string[] = [];
  private cancelling = false;
  /**
   * The probe task still running on a worker, if any: a probe that timed out is joined by the next
   * round rather than sent again, since a probe per round would each take a task slot while the
   * worker is stuck, and the slots are budgeted for one.
   */
  private readonly probes = new SharedTask<WorkerSlot, HostReply>();
  /** The OS threads of workers that died or were stopped, which the next start waits for. */
  private endingThreads: number[] = [];
  /** A worker has opened the backend before: the next open is a reopen (OpenOptions.reopening). */
  private openedOnce = false;
  /** The last compaction asked for (compact()); the next waits for it, so one task slot serves them all. */
  private compacting: Promise<void> = Promise.resolve();

  /**
   * What the worker opens. A #private field: it may hold S3 credentials, which util.inspect of a
   * provider (a debug log of it, however deep) must not show.
   */
  readonly #config: InstanceConfig;

  constructor(
    readonly name: string,
    config: InstanceConfig,
    private readonly options: ResolvedOptions,
    private readonly entry: WorkerEntry,
    /** How long its idle worker polls for the next request (batching.ts, idleSpinFor). */
    private readonly idleSpinMicros: number,
    /** Called once per worker death, after everything pending on it was rejected. */
    private readonly onDeath: (reason: DeathReason, cause: string) => void,
  ) {
    this.#config = config;
    const observer = options.observer;
    this.mailbox = new Mailbox(options.mailbox, name, () => observer?.queueRejected(name, this.backendKind));
    this.batching = batchingFor(config.kind, options);
    this.batcher = new Batcher(this.batching, (ops) => this.sendBatch(ops));
  }

  get backendKind(): string {
    return this.#config.kind;
  }

  get inFlight(): number {
    return this.mailbox.inFlight;
  }

  /** Seconds this actor's workers have had a request outstanding, over all of them (BusyMeter). */
  get busySeconds(): number {
    return this.busy.busySeconds();
  }

  get hasWorker(): boolean {
    return this.slot?.alive ?? false;
  }

  /** Which open of the backend serves now, as a token listings compare before each page. */
  get incarnation(): object | undefined {
    return this.serving();
  }

  /** True while the backend opened as `incarnation` still serves: no restart or close since. */
  serves(incarnation: object | undefined): boolean {
    return incarnation !== undefined && incarnation === this.serving();
  }

  /** The worker whose backend is open and serving, if any. */
  private serving(): WorkerSlot | undefined {
    const slot = this.slot;
    return slot?.alive && slot === this.openedSlot ? slot : undefined;
  }

  /** WorkerSlot.oldestInFlightMs: operations held while the backend rewrites removed files do not age. */
  oldestInFlightMs(): number {
    return this.slot?.oldestInFlightMs() ?? 0;
  }

  /** Starts a fresh worker and opens the backend in it; rejects with the (typed) open error. */
  async start(machineId: MachineId): Promise<void> {
    this.stopWorker();
    const { openTimeoutMs } = this.options.supervisor;
    // Opened while a thread it replaces still runs, a file instance meets that thread's lock, live,
    // and the start fails and counts toward the restart limit. Past openTimeoutMs it is tried
    // anyway, and the next start waits again for the threads still running.
    await untilOsThreadsEnd(this.endingThreads, openTimeoutMs, () => this.closed);
    this.endingThreads = this.endingThreads.filter(osThreadRunning);
    if (this.closed) throw new ClosedError(`${this.name} was closed`, { instance: this.name });
    const slot = new WorkerSlot(
      {
        entry: this.entry,
        resourceLimits: this.options.resourceLimits,
        // Beside the batches: a probe, a close, one cancel of abandoned listings and one compaction.
        concurrentTasks: this.batching.maxBatchesInFlight + 4,
        idleSpinMicros: this.idleSpinMicros,
      },
      this.busy,
      (reason, cause) => this.workerDied(slot, reason, cause),
    );
    this.slot = slot;
    let timedOut = false;
    // An open that never finishes would leave initialize() waiting for ever: past the deadline the
    // worker is terminated, which rejects the open, and the supervisor retries with backoff.
    const deadline = setTimeout(() => {
      timedOut = true;
      slot.kill('hang', `opening the backend took longer than ${openTimeoutMs} ms`);
    }, openTimeoutMs);
    let reply: HostReply;
    try {
      reply = await slot.run({
        type: 'open',
        instance: this.name,
        config: this.#config,
        machineId: machineId.toString(),
        maxObjectBytes: this.options.maxObjectBytes,
        reopening: this.openedOnce,
      });
    } catch (error) {
      if (!timedOut) throw error;
      throw new InitializeFailedError(
        `opening ${this.name} took longer than supervisor.openTimeoutMs (${openTimeoutMs} ms); its worker was terminated`,
        { instances: this.name },
      );
    } finally {
      clearTimeout(deadline);
    }
    if (!reply.ok) {
      this.stopWorker();
      throw fromWireError(reply.error);
    }
    this.openedSlot = slot;
    this.openedOnce = true;
    this.replyOrder = reply.keepsCallOrder ? undefined : (this.replyOrder ?? new KeyOrder());
    this.options.observer?.opened?.(this.name, this.backendKind, reply.tornTailBytes ?? 0);
  }

  /**
   * Runs one operation through the mailbox and the worker. `started` is when the facade was
   * called, so latencies include the time spent queued.
   */
  /** `admitted`: a listing's later page, which the mailbox takes past its capacity (Mailbox.submit). */
  call<K extends OpRequest['op']>(
    op: Extract<OpRequest, { op: K }>,
    started: number,
    admitted = false,
  ): Promise<OpValues[K]> {
    const result = this.send(op, started, admitted);
    const order = this.replyOrder;
    if (!order || !('order' in op)) return result;
    // Held back, not delayed in starting: the call is in the mailbox already. Handled here so a
    // rejection that waits for an earlier call is not reported as unhandled meanwhile.
    result.catch(() => undefined);
    return order.run(op.order, () => result);
  }

  private async send<K extends OpRequest['op']>(
    op: Extract<OpRequest, { op: K }>,
    started: number,
    admitted: boolean,
  ): Promise<OpValues[K]> {
    const observer = this.options.observer;
    let reply: OpReply;
    try {
      reply = await this.mailbox.submit(() => {
        observer?.queueWaited(this.name, this.backendKind, (performance.now() - started) / 1000);
        return this.batcher.push(op);
      }, admitted);
    } catch (error) {
      this.observe(OBSERVED[op.op], started, undefined, (error as StowageError).code ?? 'STOWAGE_INTERNAL');
      throw error;
    }
    if (!reply.ok) {
      this.observe(OBSERVED[op.op], started, reply.seconds, reply.error.code);
      throw fromWireError(reply.error);
    }
    const seconds = this.observe(OBSERVED[op.op], started, reply.seconds, undefined);
    if (PERSISTS.has(op.op)) this.latency.add(seconds);
    return reply.value as OpValues[K];
  }

  /** Reports a finished operation; returns its duration from the facade call, in seconds. */
  observe(
    operation: Operation | undefined,
    started: number,
    backendSeconds?: number,
    errorCode?: string,
  ): number {
    const seconds = (performance.now() - started) / 1000;
    if (operation) {
      this.options.observer?.operationCompleted({
        store: this.name,
        backend: this.backendKind,
        operation,
        seconds,
        ...(backendSeconds === undefined ? {} : { backendSeconds }),
        ...(errorCode === undefined ? {} : { errorCode }),
      });
    }
    return seconds;
  }

  /** One liveness probe; never rejects. `timedOut` tells a slow worker from a failing backend. */
  async probe(timeoutMs: number): Promise<{
    ok: boolean;
    timedOut: boolean;
    seconds: number;
    cause: string;
    /**
     * Why the backend's last compaction failed, or null, as it reported with a passed probe;
     * absent when it does not compact.
     */
    compactionFailure?: string | null;
  }> {
    const slot = this.slot;
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    if (!slot) return { ok: false, timedOut: false, seconds: 0, cause: 'no worker' };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const reply = await Promise.race([
        this.probes.run(slot, () => slot.run({ type: 'probe', instance: this.name })),
        timeout,
      ]);
      if (reply === 'timeout')
        return { ok: false, timedOut: true, seconds: elapsed(), cause: 'probe timed out' };
      if (!reply.ok) return { ok: false, timedOut: false, seconds: elapsed(), cause: reply.error.message };
      const { compactionFailure } = reply;
      return {
        ok: true,
        timedOut: false,
        seconds: elapsed(),
        cause: '',
        ...(compactionFailure !== undefined && { compactionFailure }),
      };
    } catch (error) {
      return { ok: false, timedOut: false, seconds: elapsed(), cause: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Closes a listing abandoned before its end. It goes to the worker beside the mailbox: a cancel
   * refused by a full mailbox would leave the listing open in the worker. At most one cancel task
   * is out at a time, carrying every cursor abandoned meanwhile, in the task slot reserved for it:
   * a cancel per listing could fill the worker's slots, and piscina would then hold back the next
   * batch. Never rejects; a cursor from an earlier worker is simply unknown to the current one.
   */
  cancelListing(cursor: string): void {
    this.abandonedCursors.push(cursor);
    if (!this.cancelling) this.sendCancels();
  }

  private sendCancels(): void {
    const slot = this.slot;
    const cursors = this.abandonedCursors.splice(0);
    this.cancelling = slot !== undefined && cursors.length > 0;
    if (!this.cancelling) return;
    (slot as WorkerSlot)
      .run({ type: 'cancel-listings', instance: this.name, cursors })
      .catch(() => undefined)
      .finally(() => this.sendCancels());
  }

  /**
   * Backend.compact on the worker, beside the mailbox like a probe: it holds no key's turn, and the
   * writes it must follow were acknowledged before the call. It runs in steps of at most a quarter
   * of hangTimeoutMs (1 s at most), each its own task, since one task outlasting the hang check
   * would have the worker killed as hung. One runs at a time; each call gets a compaction that
   * starts after it.
   */
  compact(): Promise<void> {
    const run = this.compacting.catch(() => undefined).then(() => this.compactInSteps());
    this.compacting = run;
    return run;
  }

  private async compactInSteps(): Promise<void> {
    const waitMs = Math.max(1, Math.min(1000, Math.floor(this.options.supervisor.hangTimeoutMs / 4)));
    const slot = this.serving();
    let id: number | null = null;
    for (;;) {
      if (this.closed) throw new ClosedError(`${this.name} was closed`, { instance: this.name });
      // Only the worker that started it knows how far it got.
      if (!slot || this.serving() !== slot) {
        throw new ActorDiedError(`the actor of ${this.name} restarted or died while it compacted`, {
          reason: 'restart',
        });
      }
      const reply = await slot.run({ type: 'compact', instance: this.name, id, waitMs });
      if (!reply.ok) throw fromWireError(reply.error);
      if (!reply.compacting) throw new InternalError('compact reply without its progress');
      if (reply.compacting.done) return;
      id = reply.compacting.id;
    }
  }

  /** Terminates the worker; its death is reported like any other. */
  kill(reason: DeathReason, cause: string): void {
    this.slot?.kill(reason, cause);
  }

  /** Rejects everything queued or not yet sent (close, or the instance going down). */
  rejectPending(error: Error): void {
    this.batcher.failPending(error);
    this.mailbox.rejectQueued(error);
  }

  /**
   * Closes the backend in the worker (bounded by `deadlineMs`), then ends the worker. Resolves
   * false when a thread of this actor's, this worker's or one the supervisor ended before, is still
   * running TERMINATE_GRACE_MS after the worker was terminated.
   */
  async close(deadlineMs: number): Promise<boolean> {
    this.closed = true;
    const slot = this.slot;
    let graceEnds = performance.now() + TERMINATE_GRACE_MS;
    if (slot?.alive) {
      await this.closeBackend(slot, deadlineMs);
      this.endingThreads.push(slot.osThread);
      graceEnds = performance.now() + TERMINATE_GRACE_MS;
      await slot.close(TERMINATE_GRACE_MS);
    }
    // Threads of workers the supervisor ended before (hung, cut off in their open, out of memory)
    // may be in a system call or tearing down their heap too; they get what is left of the grace.
    await untilOsThreadsEnd(this.endingThreads, Math.max(0, graceEnds - performance.now()), () => false);
    if (!this.endingThreads.some(osThreadRunning)) return true;
    process.emitWarning(
      `the worker of instance ${this.name} did not stop within ${TERMINATE_GRACE_MS / 1000} s of being terminated: its thread is blocked in a system call (a stalled disk or NFS server?), which termination cannot interrupt, or still tearing down a very large heap. close() returns without it; the process cannot exit while it runs, so stowage serve ends itself with SIGKILL`,
      { type: 'StowageWarning', code: 'STOWAGE_CLOSE_FAILED' },
    );
    return false;
  }

  /** Asks the worker to close its backend, waiting at most `deadlineMs`; warns when it did not. */
  private async closeBackend(slot: WorkerSlot, deadlineMs: number): Promise<void> {
    try {
      const closing = slot.run({ type: 'close', instance: this.name }).then(
        (reply) => {
          // Nobody awaits a failed close but the process itself: a file instance whose log was
          // removed and could not be written again loses records here, and the operator must know.
          if (!reply.ok) {
            process.emitWarning(`instance ${this.name} did not close cleanly: ${reply.error.message}`, {
              type: 'StowageWarning',
              code: 'STOWAGE_CLOSE_FAILED',
            });
          }
        },
        () => undefined,
      );
      const closed = await settlesWithin(closing, deadlineMs);
      if (!closed) {
        process.emitWarning(
          `instance ${this.name} did not close before the close deadline (shutdown.drainDeadlineMs), and its worker was terminated: what its backend had not finished is lost (a file instance writing a removed log again from memory loses the records it held)`,
          { type: 'StowageWarning', code: 'STOWAGE_CLOSE_FAILED' },
        );
      }
    } finally {
      this.slot = undefined;
    }
  }

  private async sendBatch(ops: OpRequest[]): Promise<readonly OpReply[]> {
    if (this.closed) throw new ClosedError(`${this.name} was closed`, { instance: this.name });
    const slot = this.serving();
    // Only a listing's later pages skip the facade's check that the instance is up (they follow
    // their worker, and check serves()), so this guards against a worker still opening.
    if (!slot)
      throw new ActorDiedError(`the actor of ${this.name} has no open backend: its worker died`, {
        reason: 'exit',
      });
    const reply = await slot.run({ type: 'batch', instance: this.name, ops });
    if (reply.ok && reply.results) return reply.results;
    const error = reply.ok
      ? { code: 'STOWAGE_INTERNAL', message: 'batch reply without results', details: {} }
      : reply.error;
    return ops.map(() => ({ ok: false as const, error, seconds: reply.seconds }));
  }

  private workerDied(slot: WorkerSlot, reason: DeathReason, cause: string): void {
    if (slot !== this.slot) return;
    this.slot = undefined;
    this.endingThreads.push(slot.osThread);
    this.rejectPending(
      new ActorDiedError(`the actor of ${this.name} died (${reason}) before the operation was sent`, {
        reason,
      }),
    );
    this.onDeath(reason, cause);
  }

  private stopWorker(): void {
    const slot = this.slot;
    this.slot = undefined;
    if (!slot) return;
    this.endingThreads.push(slot.osThread);
    void slot.close(TERMINATE_GRACE_MS).catch(() => undefined);
  }
}
