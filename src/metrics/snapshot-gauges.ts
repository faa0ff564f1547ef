import { Gauge, type Registry } from 'prom-client';
import type { InstanceSnapshot, RuntimeSnapshot } from '../runtime/observer.js';
import { METRICS, STORE_LABELS } from './definitions.js';

/** What the gauges read at scrape time: the runtime facade, or anything with its snapshot(). */
export interface SnapshotSource {
  snapshot(): RuntimeSnapshot;
}

type StoreGauge = Gauge<(typeof STORE_LABELS)[number]>;

/**
 * Gauges computed at scrape time from one RuntimeSnapshot, so they can never go stale: a gauge
 * set on every change would be wrong the moment a worker died between two changes. A store that
 * leaves the snapshot leaves these gauges too. Each gauge takes its own snapshot: the runtime
 * answers from its status table without waiting on any mailbox, so that is cheap, and it stays
 * correct when a host reads a single metric out of a merged registry.
 */
export class SnapshotGauges {
  private source: SnapshotSource | undefined;

  constructor(
    registry: Registry,
    /** Called for every store in each snapshot, before any per-store metric is read. */
    private readonly onStore: (store: string, backend: string) => void,
  ) {
    const registers = [registry];
    const perStore = (name: string, help: string, read: (i: InstanceSnapshot) => number): StoreGauge => {
      const gauge: StoreGauge = new Gauge({
        name,
        help,
        labelNames: STORE_LABELS,
        registers,
        collect: () => {
          gauge.reset();
          for (const instance of this.take()?.instances ?? []) {
            gauge.set({ backend: instance.backend, store: instance.store }, read(instance));
          }
        },
      });
      return gauge;
    };
    // Registered before the event counters, so a store new to this scrape gets its zeroed
    // counters (through onStore) before they are read.
    perStore(METRICS.instanceUp, '1 when the instance is initialized and passing its liveness probe.', (i) =>
      i.up ? 1 : 0,
    );
    perStore(
      METRICS.meanPersistLatency,
      'Mean seconds from call to backend commit over the recent window; equals instanceStatus().meanPersistLatency.',
      (i) => i.meanPersistLatency,
    );
    perStore(METRICS.queueDepth, 'Operations waiting in the mailbox.', (i) => i.queueDepth);
    perStore(
      METRICS.queueCapacity,
      'How many operations the mailbox holds before it refuses.',
      (i) => i.queueCapacity,
    );
    perStore(
      METRICS.operationsInFlight,
      'Operations dispatched to the worker and not yet answered.',
      (i) => i.inFlight,
    );
    const pool = (name: string, help: string, read: (s: RuntimeSnapshot) => number): void => {
      const gauge: Gauge = new Gauge({
        name,
        help,
        registers,
        collect: () => {
          const snapshot = this.take();
          if (snapshot) gauge.set(read(snapshot));
          else gauge.reset();
        },
      });
    };
    pool(METRICS.poolUtilization, 'Busy fraction of the worker pool, 0 to 1.', (s) => s.poolUtilization);
    pool(METRICS.poolWorkers, 'Worker threads in the pool.', (s) => s.workers);
  }

  /** Starts reading this source at every scrape; its stores are registered at once. */
  watch(source: SnapshotSource): void {
    this.source = source;
    this.take();
  }

  private take(): RuntimeSnapshot | undefined {
    const snapshot = this.source?.snapshot();
    for (const instance of snapshot?.instances ?? []) this.onStore(instance.store, instance.backend);
    return snapshot;
  }
}
