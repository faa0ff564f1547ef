/**
 * Spin-then-park for an actor's worker. A worker that goes idle sleeps in its event loop, and
 * waking it for the next message took 35–55 µs on the shared 2-core machine; the caller's thread
 * needs about as long again to get the reply and send the next operation. So when requests have
 * been arriving back to back, the idle worker polls a counter of posted requests (shared with the
 * main thread, see WorkerSlot) for up to `windowMs` before it returns to its event loop, which then
 * finds the message already waiting.
 *
 * It spins only when the round trip's latency is what limits the caller:
 * - after requests of a few operations (at most MAX_SPIN_OPERATIONS) since the worker was last
 *   idle. Fuller messages mean the callers keep the worker busy; there a spinning thread would
 *   only take CPU from the caller's thread and the collector's;
 * - when the last idle gap was within two windows (a gap measured after sleeping includes the
 *   wake-up), so sparse traffic does not pay for polls that would time out: after a miss the gap is
 *   long, and the next idle spell sleeps at once.
 *
 * The spin runs from setImmediate, after piscina has posted the reply, and blocks the worker's
 * event loop for at most `windowMs`. Termination interrupts it like any other JavaScript. Whether a
 * worker may spin at all (a window above 0) is decided on the main thread (batching.ts).
 */
const MAX_SPIN_OPERATIONS = 4;

/**
 * The request count after `count`, wrapped as the main thread's Int32Array counter wraps: a worker
 * that goes past 2^31 requests (eight days of 3,000 a second) must still match its counter.
 */
export function nextRequestCount(count: number): number {
  return (count + 1) | 0;
}

export class IdleSpin {
  private taken = 0;
  private busy = 0;
  private idleSince = 0;
  private lastGapMs = 0;
  /** Most operations one request carried since the worker was last idle. */
  private largestRequest = 0;

  /** `posted`: element 0 counts requests the main thread has posted to this worker. */
  constructor(
    private readonly posted: Int32Array | undefined,
    private readonly windowMs: number,
  ) {}

  /** A request carrying `operations` operations reached the worker. */
  started(operations: number): void {
    if (this.busy === 0 && this.idleSince > 0) this.lastGapMs = performance.now() - this.idleSince;
    this.largestRequest = Math.max(this.largestRequest, operations);
    this.taken = nextRequestCount(this.taken);
    this.busy++;
  }

  /** A request's reply is about to leave. */
  finished(): void {
    this.busy--;
    if (this.busy > 0 || this.posted === undefined || this.windowMs <= 0) return;
    this.idleSince = performance.now();
    const latencyBound = this.largestRequest <= MAX_SPIN_OPERATIONS;
    this.largestRequest = 0;
    if (latencyBound && this.lastGapMs <= 2 * this.windowMs) setImmediate(() => this.spin());
  }

  private spin(): void {
    // A request that started after the reply was posted first, so the loop ends at once.
    const posted = this.posted as Int32Array;
    const deadline = performance.now() + this.windowMs;
    while (Atomics.load(posted, 0) === this.taken && performance.now() < deadline) {
      // Nothing to do but look again: the next message is all this thread waits for.
    }
  }
}
