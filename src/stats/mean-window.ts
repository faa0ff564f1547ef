/**
 * The mean of the last `capacity` samples, in O(1) per sample. Used for meanPersistLatency:
 * a count-based window answers "how slow are persists right now" without a timer.
 */
export class MeanWindow {
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;
  private sum = 0;

  constructor(readonly capacity = 1024) {
    this.samples = new Float64Array(capacity);
  }

  add(value: number): void {
    if (this.count === this.capacity) this.sum -= this.samples[this.next] as number;
    else this.count++;
    this.samples[this.next] = value;
    this.sum += value;
    this.next = (this.next + 1) % this.capacity;
  }

  /** 0 when no sample has been taken yet. */
  mean(): number {
    return this.count === 0 ? 0 : Math.max(0, this.sum / this.count);
  }
}
