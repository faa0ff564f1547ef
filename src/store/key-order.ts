/**
 * Runs tasks so that those sharing a key complete in submission order, while tasks on different
 * keys run concurrently. Memory is proportional to the keys with work in flight: a key's chain is
 * dropped as soon as its last task settles.
 */
export class KeyOrder {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(task, task) : task();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work in flight. */
  get size(): number {
    return this.tails.size;
  }
}
