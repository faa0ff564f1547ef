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

/**
 * Closes a timeline interval every second and prints it on stderr (stdout stays for the report).
 * On a terminal the line is rewritten in place; in a log, each second is its own line.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private phase = '';
  private phaseStarted = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly recorder: Recorder,
    private readonly provider: () => RuntimeProvider | undefined,
    private readonly print: boolean,
  ) {}

  start(phase: string): void {
    this.phase = phase;
    this.phaseStarted = performance.now();
    this.timer ??= setInterval(() => this.tick(), 1000);
  }

  /**
   * Closes the interval under way under the old phase's label and starts the next one with the
   * new phase, so no printed second mixes two phases under the second one's name.
   */
  setPhase(phase: string): void {
    const phaseSeconds = (performance.now() - this.phaseStarted) / 1000;
    if (this.timer && phase !== this.phase && phaseSeconds >= 0.25) {
      clearInterval(this.timer);
      // Closed however short: its operations belong to the old phase, not to the new one's first line.
      this.tick();
      this.timer = setInterval(() => this.tick(), 1000);
    }
    this.phase = phase;
    this.phaseStarted = performance.now();
  }

  /** Stops the ticker and closes the last partial interval, so the timeline covers the whole run. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.tick(0.25);
    if (this.print && this.tty) process.stderr.write('\n');
  }

  private tick(minSeconds = 0): void {
    const provider = this.provider();
    const point = this.recorder.tick(provider ? queueDepth(provider) : 0, minSeconds);
    if (!point || !this.print) return;
    const line = formatPoint(point, this.phase);
    process.stderr.write(this.tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }
}
