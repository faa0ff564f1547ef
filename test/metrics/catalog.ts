import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import type { RuntimeSnapshot } from '../../src/runtime/observer.js';

/** A runtime snapshot with one file and one s3 store, as the real runtime would report it. */
export function fakeSnapshot(overrides: Partial<RuntimeSnapshot> = {}): RuntimeSnapshot {
  return {
    instances: [
      {
        store: 'file-3fa2c1d0e9ab',
        backend: 'file',
        up: true,
        queueDepth: 3,
        queueCapacity: 1024,
        inFlight: 1,
        meanPersistLatency: 0.0004,
        busySeconds: 12.5,
      },
      {
        store: 's3-9c0d1e2f3a4b',
        backend: 's3',
        up: false,
        queueDepth: 0,
        queueCapacity: 256,
        inFlight: 0,
        meanPersistLatency: 0.012,
        busySeconds: 0,
      },
    ],
    workers: 2,
    ...overrides,
  };
}

/** StowageMetrics watching a fixed snapshot, with the event-loop sampler off (no timers in tests). */
export function metricsWithFakeRuntime(snapshot: RuntimeSnapshot = fakeSnapshot()): StowageMetrics {
  const metrics = new StowageMetrics({ eventLoopDelay: false });
  metrics.watch({ snapshot: () => snapshot });
  return metrics;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * Every metric family stowage registers, by name and type, read from a real registry (with the
 * event-loop sampler on, so its histogram is included). The sampler is stopped at once.
 */
export async function metricFamilies(): Promise<Map<string, MetricType>> {
  const metrics = new StowageMetrics();
  metrics.stop();
  const families = new Map<string, MetricType>();
  for (const family of await metrics.registry.getMetricsAsJSON()) {
    families.set(family.name, family.type as unknown as MetricType);
  }
  return families;
}

/**
 * The series names a query may select, each with the type that decides how it may be used:
 * a histogram's `_bucket`, `_sum` and `_count` are cumulative, so they count as counters.
 */
export function selectableSeries(families: Map<string, MetricType>): Map<string, MetricType> {
  const series = new Map<string, MetricType>();
  for (const [name, type] of families) {
    if (type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) series.set(name + suffix, 'counter');
    } else {
      series.set(name, type);
    }
  }
  return series;
}
