/**
 * One task at a time, joined by every caller that asks for it with the same key while it runs: a
 * second open of one store for the same machine, or the next probe of a worker whose last probe is
 * still stuck in it, waits on the task under way instead of starting another. A call with another
 * key starts its own task, which later callers then join. Once the task settles, the next call
 * starts afresh.
 */
export class SharedTask<K, T> {
  private current: { readonly key: K; readonly task: Promise<T> } | undefined;

  constructor(private readonly sameKey: (a: K, b: K) => boolean = Object.is) {}

  run(key: K, start: () => Promise<T>): Promise<T> {
    const current = this.current;
    if (current && this.sameKey(current.key, key)) return current.task;
    const task = start();
    const entry = { key, task };
    this.current = entry;
    const settled = () => {
      if (this.current === entry) this.current = undefined;
    };
    task.then(settled, settled);
    return task;
  }
}
