/**
 * Restart intensity, as in OTP supervisors: more than `maxRestarts` restarts within `withinMs`
 * means restarting is not helping, and the instance stays down until someone intervenes.
 */
export class RestartIntensity {
  private times: number[] = [];

  constructor(
    private readonly maxRestarts: number,
    private readonly withinMs: number,
  ) {}

  /** Records a restart at `now` (ms); false when that exceeds the limit. */
  record(now: number): boolean {
    this.times = this.times.filter((t) => now - t < this.withinMs);
    this.times.push(now);
    return this.times.length <= this.maxRestarts;
  }

  /** Restarts inside the current window, the exponent of the next backoff. */
  recent(now: number): number {
    return this.times.filter((t) => now - t < this.withinMs).length;
  }

  reset(): void {
    this.times = [];
  }
}

/** Exponential backoff: `base`, 2·base, 4·base … capped at `max`. `attempt` counts from 0. */
export function backoffMs(attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 30));
}
