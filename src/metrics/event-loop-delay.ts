import { Histogram, type Registry } from 'prom-client';
import { EVENT_LOOP_DELAY_BUCKETS, METRICS } from './definitions.js';

export interface EventLoopDelayOptions {
  /**
   * Milliseconds between samples.
   * @default 50
   */
  readonly resolutionMs?: number;
  /** Receives each sample in seconds, after it is recorded; tests use it to wait without sleeping. */
  readonly onSample?: (seconds: number) => void;
}

/**
 * Main-thread event-loop delay as a histogram. The facade, the mailboxes and the supervisor all
 * run on the main thread, so a blocked loop delays every operation and every probe.
 *
 * A timer asks to fire after `resolutionMs`; how much later it really fires is the delay. This is
 * cumulative, unlike perf_hooks.monitorEventLoopDelay, whose percentiles must be reset at each
 * scrape: with a histogram, any number of Prometheus servers can scrape and
 * histogram_quantile() works over any window. The timer is unref'd, so it never keeps a process
 * alive.
 */
export class EventLoopDelaySampler {
  private readonly histogram: Histogram;
  private readonly resolutionMs: number;
  private readonly onSample: ((seconds: number) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(registry: Registry, options: EventLoopDelayOptions = {}) {
    this.resolutionMs = options.resolutionMs ?? 50;
    this.onSample = options.onSample;
    this.histogram = new Histogram({
      name: METRICS.eventLoopDelay,
      help: 'How late the main thread event loop ran a timer, sampled every resolution interval.',
      buckets: EVENT_LOOP_DELAY_BUCKETS,
      registers: [registry],
    });
  }

  start(): void {
    if (this.timer) return;
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const due = performance.now() + this.resolutionMs;
    this.timer = setTimeout(() => {
      const seconds = Math.max(0, performance.now() - due) / 1000;
      this.histogram.observe(seconds);
      this.onSample?.(seconds);
      if (this.timer) this.schedule();
    }, this.resolutionMs);
    this.timer.unref();
  }
}
