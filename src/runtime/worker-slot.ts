import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { thrownText } from '../errors/base.js';
import { ActorDiedError, ClosedError } from '../errors/index.js';
import type { BusyMeter } from './busy-meter.js';
import type { ActorWorkerData, HostReply, HostRequest } from './protocol.js';
import { settlesWithin } from './settles-within.js';
import type { WorkerEntry } from './worker-entry.js';

/** Why a worker stopped: restart reasons as the observer reports them. */
export type DeathReason = 'exit' | 'error' | 'oom' | 'hang' | 'probe';

export interface WorkerSlotConfig {
  readonly entry: WorkerEntry;
  readonly resourceLimits: ResourceLimits | undefined;
  /** Tasks the worker runs at once; the batcher keeps the real number at or below it. */
  readonly concurrentTasks: number;
  /** How long the idle worker polls for its next request (host/idle-spin.ts); 0: not at all. */
  readonly idleSpinMicros: number;
}

/**
 * One actor's thread: a single-thread piscina pool (see docs/architecture.md for why not one
 * shared pool with a custom balancer). It turns every way the thread can die into one `onDeath`
 * call and rejects every task that was in flight with ActorDiedError. It never restarts itself:
 * piscina's own respawn would bring back an empty worker, so the supervisor replaces the slot.
 */
export class WorkerSlot {
  private readonly pool: Piscina<HostRequest, HostReply>;
  /** Why the worker died, and what it said (its error, the hang), for the tasks it failed. */
  private death: Death | undefined;
  private closing = false;
  /** Start times of tasks in flight, oldest first (a Set keeps insertion order). */
  private readonly running = new Set<{ readonly started: number }>();
  /** Requests posted to the worker, which its idle spin watches. */
  private readonly posted = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  /** The worker's OS thread, as it stored it (ActorWorkerData.thread). */
  private readonly thread = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  /** When oldestInFlightMs() last saw the worker repairing (performance.now()). */
  private repairSeenAt = Number.NEGATIVE_INFINITY;
  /** 1 while the worker's backend writes removed files again (ActorWorkerData.repairing). */
  private readonly repairingFlag = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

  constructor(
    config: WorkerSlotConfig,
    /** The actor's, so its busy time carries on across workers. */
    private readonly busy: BusyMeter,
    private readonly onDeath: (reason: DeathReason, cause: string) => void,
  ) {
    this.pool = new Piscina({
      filename: config.entry.filename,
      execArgv: config.entry.execArgv,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // 'sync' would block the idle worker's event loop: no timers, no keep-alive, no probes.
      atomics: 'async',
      concurrentTasksPerWorker: config.concurrentTasks,
      resourceLimits: config.resourceLimits,
      workerData: {
        posted: this.posted,
        thread: this.thread,
        repairing: this.repairingFlag,
        idleSpinMicros: config.idleSpinMicros,
      } satisfies ActorWorkerData,
    });
    // Without an 'error' listener piscina's error event would crash the process.
    this.pool.on('error', (error: unknown) => this.died(classify(error), thrownText(error)));
    // A pool this slot gave up can still start a worker: piscina 5.3 ends destroying as destroy()
    // resolves, and a thread that died of an error but exits only later (a large heap takes a while
    // to tear down) then has piscina start a replacement in the abandoned pool, a thread that ran
    // until the process ended (5 to 10 of 10 such restarts in a helper's runs). It is destroyed at once.
    this.pool.on('workerCreate', () => {
      if (this.closing) void this.pool.destroy().catch(() => undefined);
    });
    // An idle worker that exits rejects no task; this is the only sign. Deferred so that, when
    // tasks were in flight, their rejection (which carries the real cause) is classified first.
    this.pool.on('workerDestroy', () => {
      if (!this.closing) setImmediate(() => this.died('exit', 'worker exited'));
    });
  }

  get alive(): boolean {
    return this.death === undefined && !this.closing;
  }

  /**
   * Milliseconds the oldest task in flight has been running, counted from the last time its worker
   * was seen writing removed files again (ActorWorkerData.repairing) if that is later; 0 when idle.
   * The writes held for such a rewrite are old, not hung, and so are they once it ends: until their
   * replies arrive, which takes a while on a busy machine. Judged by their age from the moment the
   * flag cleared, the worker was terminated as hung right after a rewrite longer than hangTimeoutMs
   * (a CI run, with probes every 50 ms).
   */
  oldestInFlightMs(now = performance.now()): number {
    if (Atomics.load(this.repairingFlag, 0) === 1) this.repairSeenAt = now;
    for (const task of this.running) return now - Math.max(task.started, this.repairSeenAt);
    return 0;
  }

  async run(request: HostRequest): Promise<HostReply> {
    if (this.death !== undefined) throw diedError(this.death);
    const task = { started: performance.now() };
    this.running.add(task);
    this.busy.started(task.started);
    try {
      const reply = this.pool.run(request);
      Atomics.add(this.posted, 0, 1);
      try {
        // Piscina posts at once to a ready worker with room, and a postMessage that throws (a value
        // structured clone refuses, a getter that throws while it is cloned) rejects the task before
        // run() returns. Racing that rejection against a promise already resolved tells the two
        // apart: only a task rejected during run() wins. A healthy worker must not be killed, and
        // its other operations failed as "may have been applied", for a message it never received.
        await Promise.race([reply, ALREADY_RESOLVED]);
      } catch (error) {
        // A pool that is closing or dead refuses tasks at once too; the outer catch names that.
        if (this.closing || this.death !== undefined) throw error;
        Atomics.sub(this.posted, 0, 1);
        throw new RequestNotSentError(error);
      }
      return await reply;
    } catch (error) {
      if (error instanceof RequestNotSentError) throw error;
      if (this.closing && this.death === undefined) {
        throw new ClosedError('the worker was terminated by close() before the operation finished');
      }
      this.died(classify(error), thrownText(error));
      throw diedError(this.death ?? { reason: 'error', cause: '' });
    } finally {
      this.running.delete(task);
      this.busy.finished();
    }
  }

  /** Terminates the worker (a hung one, or one whose probes keep failing). */
  kill(reason: DeathReason, cause: string): void {
    this.died(reason, cause);
  }

  /**
   * The worker's OS thread (backends/file/os-thread-id.ts), 0 until it started or off Linux.
   * Terminating a worker stops its JavaScript, but not a system call it is blocked in (a write to a
   * stalled disk), and a worker that died of an error or out of memory still tears its heap down:
   * the thread, and what it holds (a file instance's lock), outlive the death reported.
   */
  get osThread(): number {
    return Atomics.load(this.thread, 0);
  }

  /**
   * Orderly shutdown after the actor closed its backend. Resolves once the thread has ended, or
   * `graceMs` after it was terminated if it has not: it is blocked in a system call (a read of a
   * stalled NFS server, a FIFO), which termination cannot interrupt, and waiting for it held
   * close() for as long as the call lasted, 20 s in an audit and without bound on a dead mount.
   * The caller tells which from the thread itself (osThread).
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    await settlesWithin(this.pool.destroy(), graceMs);
  }

  private died(reason: DeathReason, cause: string): void {
    if (this.death !== undefined || this.closing) return;
    this.death = { reason, cause };
    this.closing = true;
    this.onDeath(reason, cause);
    // Terminates a busy-looping thread too; tasks still in flight reject and map to ActorDiedError.
    void this.pool.destroy().catch(() => undefined);
  }
}

const ALREADY_RESOLVED = Promise.resolve();

/**
 * A request that never reached the worker: structured clone refused it, so nothing in it was
 * applied and the worker is unaffected. `cause` is what postMessage threw.
 */
export class RequestNotSentError extends Error {
  override readonly name = 'RequestNotSentError';

  constructor(override readonly cause: unknown) {
    super(`the request could not be sent to the worker: ${thrownText(cause)}`);
  }
}

function classify(error: unknown): DeathReason {
  if ((error as { code?: string } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') return 'oom';
  if (error instanceof Error && /worker exited/i.test(error.message)) return 'exit';
  return 'error';
}

interface Death {
  readonly reason: DeathReason;
  readonly cause: string;
}

/**
 * Names the cause too, cut as thrownText cuts a quoted error: a worker that could not start because
 * the process was out of descriptors said only "(error)", and an operator read the instance's
 * restarts with EMFILE nowhere in sight.
 */
function diedError({ reason, cause }: Death): ActorDiedError {
  const shown = thrownText(cause);
  return new ActorDiedError(
    `the actor's worker died (${reason}${shown ? `: ${shown}` : ''}); the operation may or may not have been applied`,
    { reason },
  );
}
