import type { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import type { Recorder, TimelinePoint } from './recorder.js';

/** Operations waiting in every mailbox of the provider, read from its snapshot (never blocks). */
export function queueDepth(provider: RuntimeProvider): number {
  return provider.snapshot().instances.reduce((sum, i) => sum + i.queueDepth, 0);
}

export function formatPoint(point: TimelinePoint, phase: string): string {
  const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
  return [
    `[${point.t.toFixed(0).padStart(4)}s]`,
    phase.padEnd(8),
    `${point.opsPerSecond.toFixed(0).padStart(7)} ops/s`,
    `p50 ${ms(point.p50Ms).padStart(6)} ms`,
    `p99 ${ms(point.p99Ms).padStart(6)} ms`,
    `queue ${String(point.queueDepth).padStart(5)}`,
    `errors ${point.errors}`,
    `rejected ${point.rejections}`,
  ].join('  ');
}

/** How often the queue depth is sampled: a burst fills and drains the mailbox within a second. */
const DEPTH_SAMPLE_MS = 50;
/** An interval shorter than this is not closed on its own: its rate would be noise. */
const MIN_POINT_SECONDS = 0.25;

/**
 * Closes a timeline interval every second and prints it on stderr (stdout stays for the report).
 * On a terminal the line is rewritten in place; in a log, each second is its own line. Each point's
 * queue depth is the deepest sampled during its interval.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private deepest = 0;
  private phase = '';
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly recorder: Recorder,
    private readonly provider: () => RuntimeProvider | undefined,
    private readonly print: boolean,
  ) {}

  start(phase: string): void {
    this.phase = phase;
    this.timer ??= setInterval(() => this.tick(), 1000);
    this.sampler ??= setInterval(() => this.sampleDepth(), DEPTH_SAMPLE_MS);
  }

  /**
   * Closes the interval under way under the old phase's label and starts the next one with the
   * new phase, so no printed second mixes two phases under the second one's name. An interval
   * under MIN_POINT_SECONDS old is not closed: its operations go into the new phase's first point
   * (a phase shorter than that has no point of its own; the report times ramp steps, bursts and
   * startup's phases on their own).
   */
  setPhase(phase: string): void {
    if (this.timer && phase !== this.phase && this.recorder.intervalSeconds() >= MIN_POINT_SECONDS) {
      clearInterval(this.timer);
      this.tick();
      this.timer = setInterval(() => this.tick(), 1000);
    }
    this.phase = phase;
  }

  /**
   * Stops the ticker and closes the last partial interval, so the timeline covers the whole run;
   * one under MIN_POINT_SECONDS is folded into the point before it (Recorder.tick).
   */
  stop(): void {
    clearInterval(this.sampler);
    this.sampler = undefined;
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.tick(MIN_POINT_SECONDS);
    if (this.print && this.tty) process.stderr.write('\n');
  }

  /**
   * Samples the queue depth now, beside the 50 ms sampler: a burst submitted in one turn keeps
   * this thread busy until it drains, and the sampler, a timer on this thread, fired once per
   * burst, after the mailbox had emptied. The burst runner calls this right after submitting.
   */
  sampleDepth(): number {
    const provider = this.provider();
    const depth = provider ? queueDepth(provider) : 0;
    this.deepest = Math.max(this.deepest, depth);
    return depth;
  }

  /** Closes the interval into a timeline point, or folds it into the last one (Recorder.tick). */
  private tick(minSeconds = 0): void {
    const { point, folded } = this.recorder.tick(Math.max(this.deepest, this.sampleDepth()), minSeconds);
    this.deepest = 0;
    if (this.print) {
      const line = formatPoint(point, this.phase);
      // In a log the line it revises stays above it: say so, or its counts read as added twice.
      const revised =
        folded && !this.tty
          ? "  (revises the line above: the run's last fraction of a second folded in)"
          : '';
      process.stderr.write(this.tty ? `\r\x1b[2K${line}` : `${line}${revised}\n`);
    }
  }
}
