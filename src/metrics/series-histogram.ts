import type { Histogram, Registry } from 'prom-client';

/** One exposed sample, in the shape prom-client's Registry formats. */
interface SampleValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** One label set of a SeriesHistogram: a handle to keep and observe on directly. */
export class Series {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] ?? 0) + 1;
        return;
      }
    }
    // Above the last bound: only +Inf (which is `count`) holds it.
  }
}

export interface SeriesHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds in ascending order; +Inf is implicit. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

/**
 * A histogram for the per-operation hot path. prom-client's Histogram hashes and validates the
 * label object on every observe() (about 1.5 µs here), and the runtime reports up to three
 * timings per operation on the main thread, the thread every operation passes through. Here the
 * caller resolves a label set to a Series once, and each observation is then a bucket search
 * and three additions.
 *
 * It registers with a prom-client Registry like any metric (name, help, type, get, reset), so
 * exposition, Registry.merge and getMetricsAsJSON treat it exactly like a prom-client Histogram;
 * the exposition tests and `promtool check metrics` hold it to that.
 */
export class SeriesHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(config: SeriesHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.bounds = [...config.buckets];
    // A prom-client registry accepts any object with this shape; its types only name its own classes.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Histogram<L>);
  }

  /** The series for these labels, created at zero on first use; keep it and observe on it. */
  labels(labels: Readonly<Record<L, string>>): Series {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let series = this.series.get(key);
    if (!series) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      series = new Series(own, this.bounds);
      this.series.set(key, series);
    }
    return series;
  }

  /** The prom-client value format: cumulative `_bucket`s with `le`, then `_sum` and `_count`. */
  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: SampleValue[];
  }> {
    const values: SampleValue[] = [];
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i] ?? 0;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: bound, ...series.labels },
          value: cumulative,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: '+Inf', ...series.labels },
        value: series.count,
      });
      values.push({ metricName: `${this.name}_sum`, labels: series.labels, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: series.labels, value: series.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }

  /** Registry.resetMetrics() calls this; handles held by callers go stale, so it keeps the series. */
  reset(): void {
    for (const series of this.series.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
