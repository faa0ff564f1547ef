import { type MachineId, sameMachine } from '../contract/machine-id.js';
import {
  ClosedError,
  describeError,
  InitializeFailedError,
  type InstanceFailure,
  InternalError,
  NotInitializedError,
} from '../errors/index.js';
import type { ActorRef } from './actor-ref.js';
import { isRemote } from './batching.js';
import type { ResolvedOptions } from './options.js';
import { backoffMs, RestartIntensity } from './restart-policy.js';
import type { DeathReason } from './worker-slot.js';

/**
 * new → starting → up ⇄ backoff (a death or a failed start, waiting to retry) → stopped (restart
 * intensity exceeded; only restartInstance() or initialize() brings it back) → closed.
 */
export type Phase = 'new' | 'starting' | 'up' | 'backoff' | 'stopped' | 'closed';

export interface Supervised {
  readonly actor: ActorRef;
  phase: Phase;
  /** Whether the instance was ever up: it tells "not initialized" from "down". */
  everUp: boolean;
  readonly intensity: RestartIntensity;
  probeFailures: number;
  probing: boolean;
  timer: NodeJS.Timeout | undefined;
  /** The last death or failed start, for diagnostics. */
  lastFailure: string | undefined;
  /** The start under way (with its retries), which every other caller joins rather than racing it. */
  starting: Promise<unknown> | undefined;
}

/**
 * One-for-one supervision of the actors: initialize with retries and exponential backoff, liveness
 * probes, restart on death with an intensity limit, and the status table the facade answers from.
 * Everything here runs on the main thread and never waits behind a mailbox.
 */
export class Supervisor {
  private readonly entries = new Map<string, Supervised>();
  private machineId: MachineId | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: ResolvedOptions) {}

  add(actor: ActorRef): void {
    const { maxRestarts, withinMs } = this.options.supervisor;
    this.entries.set(actor.name, {
      actor,
      phase: 'new',
      everUp: false,
      intensity: new RestartIntensity(maxRestarts, withinMs),
      probeFailures: 0,
      probing: false,
      timer: undefined,
      lastFailure: undefined,
      starting: undefined,
    });
  }

  get(instance: string): Supervised | undefined {
    return this.entries.get(instance);
  }

  all(): Supervised[] {
    return [...this.entries.values()];
  }

  /** Starts every instance that is not up; throws InitializeFailedError naming those that failed. */
  async initialize(machineId: MachineId): Promise<void> {
    if (this.closed) throw new ClosedError('provider is closed');
    this.machineId = sameMachine(this.machineId, machineId);
    // Before the starts, not after them: an instance that comes up is served at once, so it is
    // watched at once too, while another instance's open may retry for minutes.
    this.startProbing();
    const failures: InstanceFailure[] = [];
    await Promise.all(
      this.all()
        .filter((e) => e.phase !== 'up')
        .map(async (e) => {
          this.cancelTimer(e);
          e.intensity.reset();
          const { error, joined } = await this.start(e, this.options.supervisor.initializeAttempts);
          if (error === undefined) return;
          failures.push({ instance: e.actor.name, error });
          // A start this call joined is the retry of whoever began it, counted and rescheduled there.
          if (!joined) this.retryAfterFailedStart(e, this.options.supervisor.backoffMaxMs);
        }),
    );
    // Cut off by close(): that, not the start it interrupted, is why the instances are not up.
    if (this.closed) throw new ClosedError('provider closed during initialize');
    if (failures.length > 0) {
      throw InitializeFailedError.of('initialize', failures);
    }
  }

  /** Brings back an instance, e.g. one stopped by the restart-intensity limit; resets its history. */
  async restartInstance(instance: string): Promise<void> {
    const e = this.entries.get(instance);
    if (this.closed) throw new ClosedError('provider is closed');
    if (!this.machineId) throw new NotInitializedError('initialize() has not been called', { instance });
    if (!e || e.phase === 'up') return;
    this.cancelTimer(e);
    e.intensity.reset();
    const { error, joined } = await this.start(e, this.options.supervisor.initializeAttempts);
    if (error !== undefined) {
      if (this.closed) throw new ClosedError('provider closed during restartInstance');
      if (!joined) this.retryAfterFailedStart(e, this.options.supervisor.backoffMaxMs);
      throw InitializeFailedError.of('restart', [{ instance, error }]);
    }
  }

  /** The actor's worker died; called by its ActorRef after everything pending was rejected. */
  actorDied(instance: string, reason: DeathReason, cause: string): void {
    const e = this.entries.get(instance);
    if (e?.phase !== 'up' || this.closed) return;
    e.lastFailure = `${reason}: ${cause}`;
    this.changed(e, 'backoff', false, reason, cause);
    if (!e.intensity.record(Date.now())) {
      this.changed(e, 'stopped', false, 'intensity', e.lastFailure);
      return;
    }
    this.options.observer?.actorRestarted(instance, e.actor.backendKind, reason);
    this.scheduleRetry(e, this.nextBackoff(e));
  }

  /** Stops supervising; the facade then drains and closes the actors. */
  stop(): void {
    this.closed = true;
    clearInterval(this.probeTimer);
    for (const e of this.entries.values()) this.cancelTimer(e);
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  markClosed(e: Supervised): void {
    this.changed(e, 'closed', false, 'closed');
  }

  /**
   * Starts `e` unless a start of it is already under way, in which case the caller joins that one:
   * two loops would each stop the other's worker (ActorRef.start), one of them while it served.
   * A caller that joined (`joined`) leaves a failure to the one that began the start, so it is
   * counted and retried once.
   */
  private async start(e: Supervised, attempts: number): Promise<{ error: unknown; joined: boolean }> {
    if (e.starting) return { error: await e.starting, joined: true };
    e.starting = this.attemptStart(e, attempts).finally(() => {
      e.starting = undefined;
    });
    return { error: await e.starting, joined: false };
  }

  /** Tries to start `e` up to `attempts` times with backoff; returns the last error, or undefined when up. */
  private async attemptStart(e: Supervised, attempts: number): Promise<unknown> {
    const { backoffBaseMs, backoffMaxMs } = this.options.supervisor;
    let lastError: unknown = new ClosedError('provider closed before the instance started');
    for (let attempt = 0; attempt < attempts && !this.closed; attempt++) {
      if (attempt > 0) {
        this.options.observer?.actorRestarted(e.actor.name, e.actor.backendKind, 'initialize');
        await this.sleep(backoffMs(attempt - 1, backoffBaseMs, backoffMaxMs));
        if (this.closed) break;
      }
      e.phase = 'starting';
      try {
        await e.actor.start(this.machineId as MachineId);
        if (this.closed) {
          await e.actor.close(this.options.closeDeadlineMs);
          break;
        }
        e.probeFailures = 0;
        e.everUp = true;
        this.changed(e, 'up', true, 'up');
        return undefined;
      } catch (error) {
        // undefined is what a start that succeeded returns.
        lastError = error ?? new InternalError('the start failed without an error');
        const detail = describeError(error);
        e.lastFailure = `initialize: ${detail}`;
        e.phase = 'backoff';
        if (!this.closed) {
          this.options.observer?.instanceStateChanged?.(
            e.actor.name,
            e.actor.backendKind,
            false,
            'initialize',
            detail,
          );
        }
      }
    }
    return lastError;
  }

  private scheduleRetry(e: Supervised, delayMs: number): void {
    if (this.closed) return;
    this.cancelTimer(e);
    e.timer = setTimeout(async () => {
      e.timer = undefined;
      const { error, joined } = await this.start(e, 1);
      if (error === undefined || joined || this.closed) return;
      if (e.everUp && !e.intensity.record(Date.now())) {
        this.changed(e, 'stopped', false, 'intensity', e.lastFailure);
        return;
      }
      this.retryAfterFailedStart(e, e.everUp ? this.nextBackoff(e) : this.options.supervisor.backoffMaxMs);
    }, delayMs);
    e.timer.unref();
  }

  /** Schedules the next start after a failed one, counting it as a restart (reason `initialize`). */
  private retryAfterFailedStart(e: Supervised, delayMs: number): void {
    if (this.closed) return;
    this.options.observer?.actorRestarted(e.actor.name, e.actor.backendKind, 'initialize');
    this.scheduleRetry(e, delayMs);
  }

  private nextBackoff(e: Supervised): number {
    const { backoffBaseMs, backoffMaxMs } = this.options.supervisor;
    return backoffMs(Math.max(0, e.intensity.recent(Date.now()) - 1), backoffBaseMs, backoffMaxMs);
  }

  private startProbing(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => this.probeAll(), this.options.supervisor.probeIntervalMs);
    this.probeTimer.unref();
  }

  /** One probe round. Hangs are judged by the oldest task in flight: a probe waits behind it. */
  private probeAll(): void {
    const { hangTimeoutMs, probeTimeoutMs, probeFailureThreshold } = this.options.supervisor;
    for (const e of this.entries.values()) {
      if (e.phase !== 'up') continue;
      const { actor } = e;
      // Judged every round, a probe under way or not: a probe waiting behind the hung task would
      // otherwise hold this check off until the probe itself timed out. Not for S3: its tasks wait
      // on the network, each operation under its own deadline, and a listing page (a GET per
      // object) or several calls on one key take longer than any one of them; a slow store had its
      // worker killed as hung. An S3 worker whose event loop is stuck fails its probes instead,
      // which run beside the tasks on a connection of their own and time out.
      // Writes held while the backend writes removed files again (OpenOptions.onRepairing) are old,
      // not hung: oldestInFlightMs() does not age them. A worker hung during it fails its probes.
      const oldest = isRemote(actor.backendKind) ? 0 : actor.oldestInFlightMs();
      if (oldest > hangTimeoutMs) {
        actor.kill('hang', `a task has been in flight for ${Math.round(oldest)} ms`);
        continue;
      }
      if (e.probing) continue;
      e.probing = true;
      void actor.probe(probeTimeoutMs).then((result) => {
        e.probing = false;
        this.options.observer?.probed(actor.name, actor.backendKind, result.seconds, result.ok);
        const failure = result.compactionFailure;
        if (failure !== undefined) {
          const { observer } = this.options;
          observer?.compactionChecked?.(
            actor.name,
            actor.backendKind,
            failure !== null,
            failure ?? undefined,
          );
        }
        // A probe that ends during close() must not kill a worker that is draining its mailbox.
        if (e.phase !== 'up' || this.closed) return;
        e.probeFailures = result.ok ? 0 : e.probeFailures + 1;
        if (e.probeFailures >= probeFailureThreshold) {
          actor.kill(result.timedOut ? 'hang' : 'probe', result.cause);
        }
      });
    }
  }

  private changed(e: Supervised, phase: Phase, up: boolean, reason: string, detail?: string): void {
    const wasUp = e.phase === 'up';
    e.phase = phase;
    if (wasUp !== up || phase === 'stopped') {
      this.options.observer?.instanceStateChanged?.(e.actor.name, e.actor.backendKind, up, reason, detail);
    }
  }

  private cancelTimer(e: Supervised): void {
    clearTimeout(e.timer);
    e.timer = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
