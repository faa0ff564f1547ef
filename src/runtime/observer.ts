/**
 * What the runtime reports as it works. The metrics layer implements this; the runtime never
 * imports prom-client. Every timing is in seconds. `store` is the instance name, `backend` its kind.
 */
/** What operationCompleted reports; probes and initializes have metrics of their own. */
export type Operation = 'put' | 'get' | 'get_all' | 'delete';

export interface RuntimeObserver {
  /** One operation finished. `seconds` runs from the facade call until the backend committed or failed. */
  operationCompleted(event: {
    readonly store: string;
    readonly backend: string;
    readonly operation: Operation;
    readonly seconds: number;
    /** The part spent in the backend, measured in the worker and returned in the reply (runtime only). */
    readonly backendSeconds?: number;
    /** Undefined on success; otherwise the error code (e.g. STOWAGE_QUEUE_FULL). */
    readonly errorCode?: string;
  }): void;
  /** Time an operation spent in the mailbox before it was dispatched to the worker. */
  queueWaited(store: string, backend: string, seconds: number): void;
  /** The mailbox refused an operation (full, or its wait deadline passed). */
  queueRejected(store: string, backend: string): void;
  /** The supervisor restarted an actor. reason: exit | error | hang | oom | initialize. */
  actorRestarted(store: string, backend: string, reason: string): void;
  /** One liveness probe finished. */
  probed(store: string, backend: string, seconds: number, ok: boolean): void;
  /**
   * The instance was (re)opened; that open cut `tornTailBytes` of a torn tail off its log (never
   * acknowledged; 0 for a clean open or a backend that cannot tear). Optional.
   */
  opened?(store: string, backend: string, tornTailBytes: number): void;
  /**
   * A probe found whether the instance's last compaction failed or was not started (a full disk):
   * its log then grows until one succeeds. `why`, when failing, is the backend's reason. Only for
   * backends that compact. Optional.
   */
  compactionChecked?(store: string, backend: string, failing: boolean, why?: string): void;
  /**
   * The supervisor's view of an instance changed: up after (re)initialize, or down with the reason
   * (exit | error | oom | hang | probe | intensity | closed) and, but for `closed`, `detail`, what
   * failed. Also called, down with reason `initialize`, after each failed start, including those of
   * an instance that was not up, so that a log shows why an instance does not come up. Optional.
   */
  instanceStateChanged?(store: string, backend: string, up: boolean, reason: string, detail?: string): void;
}

/** Read at scrape time, so gauges never go stale. */
export interface InstanceSnapshot {
  readonly store: string;
  readonly backend: string;
  readonly up: boolean;
  readonly queueDepth: number;
  readonly queueCapacity: number;
  readonly inFlight: number;
  readonly meanPersistLatency: number;
  /** Seconds the store's workers have had a request outstanding, over their lives; only grows. */
  readonly busySeconds: number;
}

export interface RuntimeSnapshot {
  readonly instances: readonly InstanceSnapshot[];
  readonly workers: number;
}
