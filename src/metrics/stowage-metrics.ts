import { Registry } from 'prom-client';
import type { RuntimeObserver } from '../runtime/observer.js';
import { registerBuildInfo } from './build-info.js';
import { type EventLoopDelayOptions, EventLoopDelaySampler } from './event-loop-delay.js';
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
export class StowageMetrics {
  readonly registry: Registry;
  private readonly events: MetricsObserver;
  private readonly gauges: SnapshotGauges;
  private readonly sampler: EventLoopDelaySampler | undefined;

  constructor(options: StowageMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    // Gauges first: their collect() registers stores before the event counters are read.
    this.gauges = new SnapshotGauges(this.registry, (store, backend) =>
      this.events.registerStore(store, backend),
    );
    this.events = new MetricsObserver(this.registry);
    registerBuildInfo(this.registry);
    registerHttpMetrics(this.registry);
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

  /** Stops the event-loop sampler; the registry keeps its values. */
  stop(): void {
    this.sampler?.stop();
  }
}
