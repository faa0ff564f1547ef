/**
 * How long an actor's worker has been busy: the time it had at least one request outstanding,
 * timed on the main thread from post to reply, overlapping requests counted once. It only grows,
 * across worker restarts too (the actor owns it), so it is exported as a counter and every reader
 * takes its own rate: a ratio reset on each read would give each of two Prometheus servers, or a
 * `curl` beside one, only the time since the other's last read. Piscina's own `utilization` is
 * not used: it divides seconds by milliseconds, averages over the worker's whole life, and adds
 * up tasks that overlap.
 */
export class BusyMeter {
  private outstanding = 0;
  private busySince = 0;
  /** Milliseconds with a request outstanding, over intervals that have ended. */
  private busyEnded = 0;

  started(now = performance.now()): void {
    if (this.outstanding++ === 0) this.busySince = now;
  }

  finished(now = performance.now()): void {
    if (--this.outstanding === 0) this.busyEnded += now - this.busySince;
  }

  /** Seconds busy so far, the interval under way included. */
  busySeconds(now = performance.now()): number {
    return (this.busyEnded + (this.outstanding > 0 ? now - this.busySince : 0)) / 1000;
  }
}
