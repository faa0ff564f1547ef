import { type GroupVersionKind, gvkString } from '../contract/gvk.js';

/** The key KeyOrder serializes one record's calls on: its GVK and its key. */
export function recordOrderKey(gvk: GroupVersionKind, key: string): string {
  return `${gvkString(gvk)} ${key}`;
}

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
    // One reaction per task (this runs on every put): the tail settles once the task has, and
    // forgets the key unless a later task has already chained onto it.
    const tail: Promise<void> = result.then(
      () => this.release(key, tail),
      () => this.release(key, tail),
    );
    this.tails.set(key, tail);
    return result;
  }

  private release(key: string, tail: Promise<void>): void {
    if (this.tails.get(key) === tail) this.tails.delete(key);
  }

  /** Keys with work in flight. */
  get size(): number {
    return this.tails.size;
  }
}
