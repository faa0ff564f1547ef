import { Counter, Registry } from 'prom-client';
import type { RuntimeObserver } from '../runtime/observer.js';
import { SECRET_OPERATIONS, type SecretOperation } from '../secrets/observed-secrets.js';
import { registerBuildInfo } from './build-info.js';
import { FAILURE_LABELS, METRICS } from './definitions.js';
import { type EventLoopDelayOptions, EventLoopDelaySampler } from './event-loop-delay.js';
import { failureReason } from './failure-reasons.js';
import { registerHttpMetrics } from './http-metrics.js';
import { MetricsObserver } from './observer.js';
import { SnapshotGauges, type SnapshotSource } from './snapshot-gauges.js';

export interface StowageMetricsOptions {
  /**
   * Where the metrics are registered. A fresh Registry by default; never prom-client's global one,
   * so two runtimes (or tests) in one process never collide. A host merges it into its own with
   * `Registry.merge([hostRegistry, metrics.registry])`.
   */
  readonly registry?: Registry;
  /**
   * How to sample the main thread's event-loop delay; `false` turns the sampler off (a host that
   * already measures it, or a test that wants no timers).
   * @default { resolutionMs: 50 }
   */
  readonly eventLoopDelay?: EventLoopDelayOptions | false;
}

/**
 * stowage's metrics in one place: pass `observer` to the runtime, then `watch(runtime)` so the
 * gauges read its snapshot at scrape time, and serve `registry` with metricsHandler() or
 * startMetricsServer().
 *
 * ```
 *  runtime events ──▶ observer ──▶ counters, histograms ─┐
 *  runtime.snapshot() ◀── collect() at scrape ── gauges ──┼──▶ registry ──▶ /metrics
 *  timer ──▶ event-loop delay histogram ──────────────────┘
 * ```
 *
 * Node's default process metrics are deliberately not included: some of them fail
 * `promtool check metrics` (gauges named `*_total`), and a host usually collects them already.
 */
/** Why a stored secret record does not read: the failures no other metric shows. */
const RECORD_FAILURE_CODES = [
  'STOWAGE_SECRET_DECRYPT_FAILED',
  'STOWAGE_SECRET_KEY_UNKNOWN',
  'STOWAGE_SECRET_CORRUPT',
] as const;

export class StowageMetrics {
  readonly registry: Registry;
  private readonly events: MetricsObserver;
  private readonly gauges: SnapshotGauges;
  private readonly sampler: EventLoopDelaySampler | undefined;
  private readonly secretFailures: Counter<(typeof FAILURE_LABELS)[number]>;
  /** The stores whose secret failures are counted, with their backend (registerSecretStore). */
  private readonly secretStores = new Map<string, string>();

  constructor(options: StowageMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    // Gauges first: their collect() registers stores before the event counters are read.
    this.gauges = new SnapshotGauges(this.registry, (store, backend) =>
      this.events.registerStore(store, backend),
    );
    this.events = new MetricsObserver(this.registry);
    registerBuildInfo(this.registry);
    registerHttpMetrics(this.registry);
    this.secretFailures = new Counter({
      name: METRICS.secretFailures,
      help: 'Calls of the secret API that failed, by error code: a record that does not decrypt (secret_decrypt_failed, secret_key_unknown, secret_corrupt) is read by the runtime as a get that succeeded.',
      labelNames: FAILURE_LABELS,
      registers: [this.registry],
    });
    if (options.eventLoopDelay !== false) {
      this.sampler = new EventLoopDelaySampler(this.registry, options.eventLoopDelay);
      this.sampler.start();
    }
  }

  /** The RuntimeObserver to hand to the runtime when it is constructed. */
  get observer(): RuntimeObserver {
    return this.events;
  }

  /** Reads gauges from the runtime's snapshot at every scrape; its stores are zeroed at once. */
  watch(source: SnapshotSource): void {
    this.gauges.watch(source);
  }

  /** Creates a store's label sets at zero before the runtime reports anything about it. */
  registerStore(store: string, backend: string): void {
    this.events.registerStore(store, backend);
  }

  /**
   * Counts a failed call of the secret API (observedSecrets), by its error code, as
   * stowage_operation_failures_total counts the runtime's. Only for a store registered with
   * registerSecretStore(): a caller's unknown instance name must not become a label value.
   */
  secretFailed(store: string, operation: SecretOperation, code: string): void {
    const backend = this.secretStores.get(store);
    if (backend === undefined) return;
    this.secretFailures.inc({ backend, store, operation, reason: failureReason(code) });
  }

  /**
   * Creates at zero the secret failures of a store whose secret API is counted, for the reasons a
   * stored record gives: increase() and rate() need a series to start from, and an alert on them
   * missed the first failure of a store that had none before.
   */
  registerSecretStore(store: string, backend: string): void {
    this.secretStores.set(store, backend);
    for (const operation of SECRET_OPERATIONS) {
      for (const code of RECORD_FAILURE_CODES) {
        this.secretFailures.inc({ backend, store, operation, reason: failureReason(code) }, 0);
      }
    }
  }

  /** Stops the event-loop sampler; the registry keeps its values. */
  stop(): void {
    this.sampler?.stop();
  }
}
