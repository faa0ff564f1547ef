import { Counter, Gauge, type Registry } from 'prom-client';
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
 * correct when a host reads a single metric out of a merged registry. The workers' busy seconds,
 * a counter the runtime keeps, are read the same way.
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
    perStore(
      METRICS.instanceUp,
      '1 while the instance is up: initialized, and not stopped by failed probes, a crash or the restart limit.',
      (i) => (i.up ? 1 : 0),
    );
    perStore(
      METRICS.meanPersistLatency,
      'Mean seconds from call to backend commit over the recent window; equals instanceStatus().meanPersistLatency.',
      (i) => i.meanPersistLatency,
    );
    perStore(
      METRICS.queueDepth,
      'Operations waiting in the mailbox; under the wait policy, callers waiting for room too.',
      (i) => i.queueDepth,
    );
    perStore(
      METRICS.queueCapacity,
      'Operations the mailbox holds before it refuses (reject) or makes callers wait (wait).',
      (i) => i.queueCapacity,
    );
    perStore(
      METRICS.operationsInFlight,
      'Operations out of the mailbox and not yet answered: being batched or in the worker.',
      (i) => i.inFlight,
    );
    // A counter the runtime keeps rather than one fed by events: busy time accrues continuously,
    // so it is read at scrape time like the gauges, and only ever grows.
    const busy: Counter<(typeof STORE_LABELS)[number]> = new Counter({
      name: METRICS.workerBusy,
      help: "Seconds the store's worker threads had at least one request outstanding.",
      labelNames: STORE_LABELS,
      registers,
      collect: () => {
        busy.reset();
        for (const instance of this.take()?.instances ?? []) {
          busy.inc({ backend: instance.backend, store: instance.store }, instance.busySeconds);
        }
      },
    });
    const workers: Gauge = new Gauge({
      name: METRICS.poolWorkers,
      help: 'Live worker threads, one per store whose actor has one.',
      registers,
      collect: () => {
        const snapshot = this.take();
        if (snapshot) workers.set(snapshot.workers);
        else workers.reset();
      },
    });
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
