/** Reads closer together than this return the previous ratio: too short a window is noise. */
const MIN_WINDOW_MS = 1000;

/**
 * How busy an actor's worker is: the fraction of time it had at least one request outstanding,
 * timed on the main thread from post to reply, over the time since the previous read (at least
 * MIN_WINDOW_MS). Piscina's own `utilization` is not used: it divides seconds by milliseconds,
 * averages over the worker's whole life, and adds up tasks that overlap.
 */
export class BusyMeter {
  private outstanding = 0;
  private busySince = 0;
  /** Milliseconds with a request outstanding, over intervals that have ended. */
  private busyEnded = 0;
  private lastRead: { readonly at: number; readonly busy: number };
  private lastRatio = 0;

  constructor(now = performance.now()) {
    this.lastRead = { at: now, busy: 0 };
  }

  started(now = performance.now()): void {
    if (this.outstanding++ === 0) this.busySince = now;
  }

  finished(now = performance.now()): void {
    if (--this.outstanding === 0) this.busyEnded += now - this.busySince;
  }

  /** The busy fraction, 0 to 1, since the previous read. */
  ratio(now = performance.now()): number {
    const elapsed = now - this.lastRead.at;
    if (elapsed < MIN_WINDOW_MS) return this.lastRatio;
    const busy = this.busyEnded + (this.outstanding > 0 ? now - this.busySince : 0);
    this.lastRatio = Math.min(1, Math.max(0, (busy - this.lastRead.busy) / elapsed));
    this.lastRead = { at: now, busy };
    return this.lastRatio;
  }
}
