import { ownedBytes } from '../../objects/owned-bytes.js';
import { RECORD_HEADER_BYTES } from './format.js';

/** GVK string → key → value bytes: the whole live state, as a snapshot needs it. */
export type IndexState = Map<string, Map<string, Uint8Array>>;

/**
 * The in-memory state of a file instance, built at open and updated as batches become durable.
 * Values are kept as bytes, not parsed objects, so resident memory stays close to the data's size.
 * It also counts the bytes the live records would take on disk, which drives compaction.
 */
export class RecordIndex {
  private readonly kinds: IndexState = new Map();
  private liveRecordBytes = 0;
  private records = 0;

  /** Bytes the live records take when encoded: what a fresh snapshot would hold, minus framing. */
  get liveBytes(): number {
    return this.liveRecordBytes;
  }

  get size(): number {
    return this.records;
  }

  get(gvk: string, key: string): Uint8Array | undefined {
    return this.kinds.get(gvk)?.get(key);
  }

  /** How many records `gvk` holds. */
  countOf(gvk: string): number {
    return this.kinds.get(gvk)?.size ?? 0;
  }

  has(gvk: string, key: string): boolean {
    return this.kinds.get(gvk)?.has(key) ?? false;
  }

  /**
   * `value` must not change afterwards: the index keeps it, copying it only when it is a view into a
   * larger buffer (a file chunk, Node's buffer pool, a message's clone), which it would pin whole.
   */
  put(gvk: string, key: string, view: Uint8Array): void {
    const value = ownedBytes(view);
    let records = this.kinds.get(gvk);
    if (!records) {
      records = new Map();
      this.kinds.set(gvk, records);
    }
    const previous = records.get(key);
    records.set(key, value);
    if (previous) {
      this.liveRecordBytes += value.byteLength - previous.byteLength;
    } else {
      this.records++;
      this.liveRecordBytes += recordOverhead(gvk, key) + value.byteLength;
    }
  }

  delete(gvk: string, key: string): boolean {
    const records = this.kinds.get(gvk);
    const previous = records?.get(key);
    if (!records || !previous) return false;
    records.delete(key);
    if (records.size === 0) this.kinds.delete(gvk);
    this.records--;
    this.liveRecordBytes -= recordOverhead(gvk, key) + previous.byteLength;
    return true;
  }

  /** The records of one GVK as an array, so callers may iterate while writes continue. */
  list(gvk: string): [string, Uint8Array][] {
    const records = this.kinds.get(gvk);
    return records ? [...records] : [];
  }

  /** Every GVK with at least one record. */
  gvks(): string[] {
    return [...this.kinds.keys()];
  }

  /**
   * A point-in-time copy for a snapshot. Only the maps are copied: value buffers are immutable,
   * so sharing them is safe and keeps the copy cheap.
   */
  copy(): IndexState {
    const copy: IndexState = new Map();
    for (const [gvk, records] of this.kinds) copy.set(gvk, new Map(records));
    return copy;
  }
}

function recordOverhead(gvk: string, key: string): number {
  return RECORD_HEADER_BYTES + Buffer.byteLength(gvk) + Buffer.byteLength(key);
}
