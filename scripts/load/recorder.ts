import * as hdr from 'hdr-histogram-js';
import type { OpKind } from './scenarios.js';

/**
 * Everything measured during a run. Latencies go into HdrHistograms in microseconds (3 significant
 * digits, up to 10 minutes): one per operation for the whole run, and one per one-second interval
 * for the timeline. Only successful operations are timed; errors and mailbox rejections are
 * counted apart, because a rejection answers in microseconds and would flatter every percentile.
 *
 * `latency` runs from the operation's *intended* start: in a fixed-rate run that is its due time,
 * so a stalled system is charged for the requests it delayed (coordinated-omission correction,
 * as in wrk2). `service` runs from the moment the call was actually made, which is what an
 * uncorrected closed-loop tool reports; the two differ only when the generator fell behind.
 */

export type Outcome = 'ok' | 'error' | 'rejected';

/** Mailbox backpressure, counted as rejections rather than errors. */
export const REJECTION_CODES: ReadonlySet<string> = new Set(['STOWAGE_QUEUE_FULL', 'STOWAGE_QUEUE_TIMEOUT']);

export interface Percentiles {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export interface TimelinePoint {
  /** Seconds since the run started, at the end of the interval. */
  readonly t: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  readonly rejections: number;
  readonly queueDepth: number;
  readonly heapUsedMiB: number;
}

export interface WindowStats {
  readonly seconds: number;
  readonly ok: number;
  readonly errors: number;
  readonly rejections: number;
  readonly opsPerSecond: number;
  readonly latencyMs: Percentiles;
}

export const newHistogram = () =>
  hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 600e6 });

export function percentilesMs(h: hdr.Histogram): Percentiles {
  // A percentile is reported as the top of its bucket, which can exceed the exact maximum by a hair.
  const ms = (p: number) => (h.totalCount === 0 ? 0 : Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000);
  return {
    count: h.totalCount,
    mean: h.totalCount === 0 ? 0 : h.mean / 1000,
    p50: ms(50),
    p90: ms(90),
    p99: ms(99),
    p999: ms(99.9),
    max: h.totalCount === 0 ? 0 : h.maxValue / 1000,
  };
}

const micros = (ms: number) => Math.max(1, Math.round(ms * 1000));

export class Recorder {
  readonly latency = new Map<OpKind, hdr.Histogram>();
  readonly service = new Map<OpKind, hdr.Histogram>();
  /** How late the generator issued operations after their due time (fixed-rate runs). */
  readonly lag = newHistogram();
  readonly timeline: TimelinePoint[] = [];
  readonly errorCodes = new Map<string, number>();
  /** The first message seen for each error code, so a failed run says why. */
  readonly errorSamples = new Map<string, string>();
  private interval = newHistogram();
  /** The last closed interval, kept so that a final sliver can be folded into it (tick). */
  private closed = {
    histogram: newHistogram(),
    started: 0,
    ops: 0,
    errors: 0,
    rejections: 0,
    queueDepth: 0,
  };
  private intervalOps = 0;
  private intervalErrors = 0;
  private intervalRejections = 0;
  private intervalStarted: number;
  readonly startedAt = performance.now();
  ok = 0;
  errors = 0;
  rejections = 0;
  private window = { histogram: newHistogram(), ok: 0, errors: 0, rejections: 0, started: 0 };

  constructor() {
    this.intervalStarted = this.startedAt;
  }

  /** Times are performance.now() milliseconds. */
  record(
    op: OpKind,
    intendedMs: number,
    actualMs: number,
    endMs: number,
    outcome: Outcome,
    code?: string,
    message?: string,
  ): void {
    if (outcome !== 'ok') {
      if (outcome === 'error') {
        this.errors++;
        this.intervalErrors++;
        this.window.errors++;
      } else {
        this.rejections++;
        this.intervalRejections++;
        this.window.rejections++;
      }
      const label = code ?? 'unknown';
      this.errorCodes.set(label, (this.errorCodes.get(label) ?? 0) + 1);
      if (!this.errorSamples.has(label)) this.errorSamples.set(label, message ?? '');
      return;
    }
    const latency = micros(endMs - intendedMs);
    this.histogram(this.latency, op).recordValue(latency);
    this.histogram(this.service, op).recordValue(micros(endMs - actualMs));
    this.lag.recordValue(micros(actualMs - intendedMs));
    this.interval.recordValue(latency);
    this.window.histogram.recordValue(latency);
    this.ok++;
    this.intervalOps++;
    this.window.ok++;
  }

  /** Seconds since the current interval began. */
  intervalSeconds(now = performance.now()): number {
    return (now - this.intervalStarted) / 1000;
  }

  /**
   * Closes the current interval into a timeline point (called once a second, and at the end). A
   * final sliver shorter than `minSeconds` is folded into the point before it, which then covers
   * both: left out, a burst's completions, which come together at its end, went missing from the
   * timeline (a third of a 3-burst run); on its own, their rate over a few milliseconds read ten
   * times the others.
   */
  tick(queueDepth: number, minSeconds = 0): { readonly point: TimelinePoint; readonly folded: boolean } {
    const now = performance.now();
    const fold = (now - this.intervalStarted) / 1000 < minSeconds && this.timeline.length > 0;
    if (fold) {
      this.closed.histogram.add(this.interval);
      this.timeline.pop();
    } else {
      [this.closed.histogram, this.interval] = [this.interval, this.closed.histogram];
      this.closed = {
        histogram: this.closed.histogram,
        started: this.intervalStarted,
        ops: 0,
        errors: 0,
        rejections: 0,
        queueDepth: 0,
      };
    }
    const closed = this.closed;
    closed.ops += this.intervalOps;
    closed.errors += this.intervalErrors;
    closed.rejections += this.intervalRejections;
    closed.queueDepth = Math.max(closed.queueDepth, queueDepth);
    const seconds = Math.max((now - closed.started) / 1000, 1e-3);
    const latency = percentilesMs(closed.histogram);
    const point: TimelinePoint = {
      t: round((now - this.startedAt) / 1000, 3),
      opsPerSecond: round(closed.ops / seconds, 1),
      p50Ms: latency.p50,
      p99Ms: latency.p99,
      maxMs: latency.max,
      errors: closed.errors,
      rejections: closed.rejections,
      queueDepth: closed.queueDepth,
      heapUsedMiB: round(process.memoryUsage().heapUsed / 2 ** 20, 1),
    };
    this.timeline.push(point);
    this.interval.reset();
    this.intervalOps = this.intervalErrors = this.intervalRejections = 0;
    this.intervalStarted = now;
    return { point, folded: fold };
  }

  /** Starts a window (a ramp step, a burst) measured on its own, alongside the whole run. */
  beginWindow(): void {
    this.window.histogram.reset();
    this.window = {
      histogram: this.window.histogram,
      ok: 0,
      errors: 0,
      rejections: 0,
      started: performance.now(),
    };
  }

  endWindow(): WindowStats {
    const seconds = (performance.now() - this.window.started) / 1000;
    const { ok, errors, rejections } = this.window;
    return {
      seconds: round(seconds, 3),
      ok,
      errors,
      rejections,
      opsPerSecond: round(ok / Math.max(seconds, 1e-3), 1),
      latencyMs: percentilesMs(this.window.histogram),
    };
  }

  /** One histogram over every operation kind. */
  overall(kind: 'latency' | 'service'): hdr.Histogram {
    const all = newHistogram();
    for (const h of this[kind].values()) all.add(h);
    return all;
  }

  private histogram(map: Map<OpKind, hdr.Histogram>, op: OpKind): hdr.Histogram {
    let h = map.get(op);
    if (!h) {
      h = newHistogram();
      map.set(op, h);
    }
    return h;
  }
}

export const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Runs `call`, classifies how it ended and records it; never rejects, so drivers need no catch. */
export async function timed(
  recorder: Recorder,
  op: OpKind,
  intendedMs: number,
  call: () => Promise<unknown>,
): Promise<void> {
  const actual = performance.now();
  try {
    await call();
    recorder.record(op, intendedMs, actual, performance.now(), 'ok');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const label = typeof code === 'string' ? code : (error as Error).name;
    const outcome = REJECTION_CODES.has(label) ? 'rejected' : 'error';
    recorder.record(op, intendedMs, actual, performance.now(), outcome, label, (error as Error).message);
  }
}
