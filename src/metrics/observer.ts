import { Counter, Gauge, type Registry } from 'prom-client';
import type { Operation, RuntimeObserver } from '../runtime/observer.js';
import {
  FAILURE_LABELS,
  LATENCY_BUCKETS,
  METRICS,
  OPERATION_LABELS,
  OPERATIONS,
  QUEUE_WAIT_BUCKETS,
  RESTART_LABELS,
  RESTART_REASONS,
  restartReason,
  STORE_LABELS,
} from './definitions.js';
import { failureReason, failureReasons } from './failure-reasons.js';
import { type Series, SeriesHistogram } from './series-histogram.js';

/** What one (store, operation) pair updates on every operation, resolved once per store. */
interface OperationSeries {
  readonly labels: { readonly backend: string; readonly store: string; readonly operation: Operation };
  /** Completions not yet added to stowage_operations_total; flushed at scrape time. */
  completed: number;
  readonly persist: Series;
  readonly backend: Series;
}

interface StoreSeries {
  readonly operations: Map<Operation, OperationSeries>;
  readonly queueWait: Series;
}

/**
 * Turns the runtime's events into counters and histograms. Timings measured inside worker threads
 * arrive here in the events (prom-client cannot aggregate across threads), so this one object on
 * the main thread is the only writer.
 *
 * Every operation passes through here, so the per-operation path touches only series resolved
 * when the store was registered: no label hashing, no allocation. Rare events (failures,
 * rejections, restarts, probes) go straight to prom-client counters.
 *
 * A store's label sets are all created at zero the first time the store is seen (registerStore,
 * or its first event), so `rate()` and `increase()` see the first failure or restart instead of a
 * series that appears already at 1.
 */
export class MetricsObserver implements RuntimeObserver {
  private readonly stores = new Map<string, StoreSeries>();
  private readonly persistDuration: SeriesHistogram<(typeof OPERATION_LABELS)[number]>;
  private readonly backendDuration: SeriesHistogram<(typeof OPERATION_LABELS)[number]>;
  private readonly operations: Counter<(typeof OPERATION_LABELS)[number]>;
  private readonly failures: Counter<(typeof FAILURE_LABELS)[number]>;
  private readonly rejected: Counter<(typeof STORE_LABELS)[number]>;
  private readonly queueWait: SeriesHistogram<(typeof STORE_LABELS)[number]>;
  private readonly restarts: Counter<(typeof RESTART_LABELS)[number]>;
  private readonly probeDuration: SeriesHistogram<(typeof STORE_LABELS)[number]>;
  private readonly probeFailures: Counter<(typeof STORE_LABELS)[number]>;
  private readonly lastOpenTornTail: Gauge<(typeof STORE_LABELS)[number]>;
  private readonly compactionFailing: Gauge<(typeof STORE_LABELS)[number]>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.persistDuration = new SeriesHistogram({
      name: METRICS.persistDuration,
      help: 'Seconds from the facade call until the backend committed, successful operations only.',
      labelNames: OPERATION_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.backendDuration = new SeriesHistogram({
      name: METRICS.backendDuration,
      help: 'Seconds the backend itself took, measured in the worker thread; successful operations only.',
      labelNames: OPERATION_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.operations = new Counter({
      name: METRICS.operations,
      help: 'Operations completed, successful or not.',
      labelNames: OPERATION_LABELS,
      registers,
      collect: () => this.flushCompleted(),
    });
    this.failures = new Counter({
      name: METRICS.operationFailures,
      help: 'Operations that failed, by error code (reason = code without STOWAGE_, lower-cased).',
      labelNames: FAILURE_LABELS,
      registers,
    });
    this.rejected = new Counter({
      name: METRICS.queueRejected,
      help: 'Operations the mailbox refused: full, or its wait deadline passed.',
      labelNames: STORE_LABELS,
      registers,
    });
    this.queueWait = new SeriesHistogram({
      name: METRICS.queueWait,
      help: 'Seconds an operation waited in the mailbox before dispatch to its worker.',
      labelNames: STORE_LABELS,
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });
    this.restarts = new Counter({
      name: METRICS.actorRestarts,
      help: 'Actor restarts by the supervisor, by cause.',
      labelNames: RESTART_LABELS,
      registers,
    });
    this.probeDuration = new SeriesHistogram({
      name: METRICS.probeDuration,
      help: 'Seconds each liveness probe took, whether it passed or failed.',
      labelNames: STORE_LABELS,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.probeFailures = new Counter({
      name: METRICS.probeFailures,
      help: 'Liveness probes that failed or timed out.',
      labelNames: STORE_LABELS,
      registers,
    });
    this.lastOpenTornTail = new Gauge({
      name: METRICS.lastOpenTornTail,
      help: "Bytes of a torn log tail (never acknowledged) that the instance's last open cut off.",
      labelNames: STORE_LABELS,
      registers,
    });
    this.compactionFailing = new Gauge({
      name: METRICS.compactionFailing,
      help: "1 while the instance's last compaction failed or was not started (its log grows until one succeeds), else 0; set by each probe that passes.",
      labelNames: STORE_LABELS,
      registers,
    });
  }

  /** Creates every label set of the store at zero; calling it again is harmless. */
  registerStore(store: string, backend: string): void {
    this.storeSeries(store, backend);
  }

  operationCompleted(event: Parameters<RuntimeObserver['operationCompleted']>[0]): void {
    const series = this.operationSeries(event.store, event.backend, event.operation);
    series.completed++;
    if (event.errorCode === undefined) {
      series.persist.observe(nonNegative(event.seconds));
      // Only the runtime measures inside a worker; an in-process provider leaves it out.
      if (event.backendSeconds !== undefined) series.backend.observe(nonNegative(event.backendSeconds));
    } else {
      this.failures.inc({ ...series.labels, reason: failureReason(event.errorCode) });
    }
  }

  queueWaited(store: string, backend: string, seconds: number): void {
    this.storeSeries(store, backend).queueWait.observe(nonNegative(seconds));
  }

  queueRejected(store: string, backend: string): void {
    this.storeSeries(store, backend);
    this.rejected.inc({ backend, store });
  }

  actorRestarted(store: string, backend: string, reason: string): void {
    this.storeSeries(store, backend);
    this.restarts.inc({ backend, store, reason: restartReason(reason) });
  }

  probed(store: string, backend: string, seconds: number, ok: boolean): void {
    this.storeSeries(store, backend);
    this.probeDuration.labels({ backend, store }).observe(nonNegative(seconds));
    if (!ok) this.probeFailures.inc({ backend, store });
  }

  opened(store: string, backend: string, tornTailBytes: number): void {
    this.storeSeries(store, backend);
    this.lastOpenTornTail.set({ backend, store }, tornTailBytes);
  }

  compactionChecked(store: string, backend: string, failing: boolean): void {
    this.storeSeries(store, backend);
    this.compactionFailing.set({ backend, store }, failing ? 1 : 0);
  }

  private storeSeries(store: string, backend: string): StoreSeries {
    const known = this.stores.get(store);
    if (known) return known;
    const labels = { backend, store };
    const series: StoreSeries = { operations: new Map(), queueWait: this.queueWait.labels(labels) };
    this.stores.set(store, series);
    const reasons = failureReasons();
    for (const operation of OPERATIONS) {
      this.operationSeries(store, backend, operation);
      this.operations.inc({ ...labels, operation }, 0);
      for (const reason of reasons) this.failures.inc({ ...labels, operation, reason }, 0);
    }
    this.rejected.inc(labels, 0);
    for (const reason of RESTART_REASONS) this.restarts.inc({ ...labels, reason }, 0);
    this.probeDuration.labels(labels);
    this.probeFailures.inc(labels, 0);
    this.lastOpenTornTail.set(labels, 0);
    this.compactionFailing.set(labels, 0);
    return series;
  }

  private operationSeries(store: string, backend: string, operation: Operation): OperationSeries {
    const { operations } = this.storeSeries(store, backend);
    let series = operations.get(operation);
    if (!series) {
      const labels = { backend, store, operation };
      series = {
        labels,
        completed: 0,
        persist: this.persistDuration.labels(labels),
        backend: this.backendDuration.labels(labels),
      };
      operations.set(operation, series);
    }
    return series;
  }

  private flushCompleted(): void {
    for (const { operations } of this.stores.values()) {
      for (const series of operations.values()) {
        if (series.completed === 0) continue;
        this.operations.inc(series.labels, series.completed);
        series.completed = 0;
      }
    }
  }
}

/**
 * Worker and main-thread clocks have different origins, so a cross-thread difference can come out
 * slightly negative or, on a broken event, not a number; a histogram must never go backwards.
 */
function nonNegative(seconds: number): number {
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
}
