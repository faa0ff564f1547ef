import { type GroupVersionKind, gvkString, parseGvkString } from '../contract/gvk.js';
import type { ObjectKey } from '../contract/object-key.js';
import { TooManyObjectsError } from '../errors/index.js';
import { ownedBytes } from '../objects/owned-bytes.js';
import { type Backend, type BackendRecord, MAX_OBJECTS_PER_KIND } from './backend.js';

/**
 * Where a memory backend keeps its records. Sharing one volume between successive backends
 * models a disk that outlives the process's handle on it, so close-and-reopen can be tested.
 */
export type MemoryVolume = Map<string, Map<ObjectKey, Uint8Array>>;

export function createMemoryVolume(): MemoryVolume {
  return new Map();
}

/** The reference backend: the simplest correct implementation of the Backend contract. */
export class MemoryBackend implements Backend {
  readonly kind = 'memory';
  /**
   * Every call makes its change synchronously, in call order, but the layers above resolve a put,
   * a get and a delete after different numbers of microtasks, so calls on one key could complete
   * out of order: put, delete, put completed as put, put, delete. False makes the provider chain
   * each key's calls (KeyOrder), which costs a promise per call and keeps completion in order.
   */
  readonly keepsCallOrder: boolean = false;

  constructor(private readonly volume: MemoryVolume = createMemoryVolume()) {}

  async open(): Promise<void> {}

  async put(gvk: GroupVersionKind, key: ObjectKey, bytes: Uint8Array): Promise<void> {
    const id = gvkString(gvk);
    let records = this.volume.get(id);
    if (!records) {
      records = new Map();
      this.volume.set(id, records);
    }
    if (records.size >= MAX_OBJECTS_PER_KIND && !records.has(key)) {
      throw TooManyObjectsError.at(id, MAX_OBJECTS_PER_KIND);
    }
    // Kept as given when it owns its buffer (Backend.put: callers never change it afterwards);
    // a view is copied, or it would pin the larger buffer behind it.
    records.set(key, ownedBytes(bytes));
  }

  async get(gvk: GroupVersionKind, key: ObjectKey): Promise<Uint8Array | undefined> {
    return this.volume.get(gvkString(gvk))?.get(key);
  }

  async delete(gvk: GroupVersionKind, key: ObjectKey): Promise<boolean> {
    return this.volume.get(gvkString(gvk))?.delete(key) ?? false;
  }

  async *list(gvk: GroupVersionKind): AsyncIterable<BackendRecord> {
    const records = this.volume.get(gvkString(gvk));
    if (!records) return;
    for (const [key, bytes] of [...records]) yield { key, bytes };
  }

  async kinds(): Promise<GroupVersionKind[]> {
    return [...this.volume].filter(([, records]) => records.size > 0).map(([id]) => parseGvkString(id));
  }

  async probe(): Promise<void> {}

  async close(): Promise<void> {}
}
