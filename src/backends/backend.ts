import type { GroupVersionKind } from '../contract/gvk.js';
import type { MachineId } from '../contract/machine-id.js';
import type { ObjectKey } from '../contract/object-key.js';

/** One stored record: the key and the canonical JSON bytes the ObjectStore encoded. */
export interface BackendRecord {
  readonly key: ObjectKey;
  readonly bytes: Uint8Array;
}

/**
 * The most objects of one kind the file and memory backends hold. V8's Map, which indexes a kind
 * in each, holds at most 2^24 (16,777,216) entries; past it, the file backend's applying of a
 * durable write threw, and its reopening replayed the same writes into the same wall. This leaves
 * room for 777,216 puts of new objects of one kind in flight at once.
 */
export const MAX_OBJECTS_PER_KIND = 16_000_000;

/** What the store above a backend tells it at open. */
export interface OpenOptions {
  /**
   * The store's object size limit. Writes are checked above the backend; a backend that reads
   * objects others may have written (S3) can bound its reads by it.
   */
  readonly maxObjectBytes: number;
  /**
   * The instance was open before in this process (the runtime is restarting its worker): a backend
   * whose data should be there already (a file directory) refuses to start empty without it.
   */
  readonly reopening?: boolean;
  /**
   * Called with true when the backend starts writing again, in the background, files removed
   * under it (a file instance's log deleted by hand), and with false when that ends. Operations it
   * holds meanwhile are slow, not hung: the runtime ages them from the last time it saw the
   * rewrite running, not from when they were sent (WorkerSlot.oldestInFlightMs()).
   */
  readonly onRepairing?: (active: boolean) => void;
}

/**
 * What a storage backend implements. It stores opaque bytes under (gvk, key) and knows nothing
 * about threads, validation or JSON: the ObjectStore above it does that, once, for every backend.
 *
 * Calls may arrive concurrently for different keys. Calls for the same (gvk, key) are not
 * reordered by the caller (ObjectStore's users, the actor mailbox): unless the backend keeps call
 * order itself, the caller waits for one to settle before it starts the next.
 *
 * `put` takes ownership of `bytes`: the caller must not change them afterwards, so a backend may
 * keep them instead of copying (the file index and the memory map do, copying only a view into a
 * larger buffer, which they would otherwise pin whole).
 */
export interface Backend {
  /** The generic part of the instance name: `memory`, `file`, `s3`. */
  readonly kind: string;
  /**
   * True when calls on one (gvk, key) take effect in the order they were made even when they
   * overlap, because each call reaches its place in line before it returns its promise (the file
   * log's queue, the memory map). Callers then skip their own per-key serialization. Default false.
   */
  readonly keepsCallOrder?: boolean;
  /** Opens files or connections and loads state. Called once before any other call. */
  open(machineId: MachineId, options?: OpenOptions): Promise<void>;
  /**
   * Bytes the last open() cut off as a torn tail: never acknowledged, but reported (the file
   * backend's log; absent for backends that cannot tear).
   */
  tornTailBytes?(): number;
  /**
   * Why the backend's last compaction failed or was not started (a full disk, say), or null when
   * it succeeded or none was needed; absent for backends that do not compact. A log that cannot
   * be compacted grows until one succeeds, so the runtime reports it with each probe.
   */
  compactionFailure?(): string | null;
  /**
   * Why the backend refuses every write until it is reopened (a file log it could not cut back
   * after a failed write, a data directory removed under it), or undefined while it takes writes.
   * A provider with no probes of its own (LocalProvider) reports the instance down meanwhile.
   */
  writesRefused?(): Error | undefined;
  /** Durably stores the record; resolves only once it would survive a crash. */
  put(gvk: GroupVersionKind, key: ObjectKey, bytes: Uint8Array): Promise<void>;
  get(gvk: GroupVersionKind, key: ObjectKey): Promise<Uint8Array | undefined>;
  /** Durably removes the record; resolves whether it existed. */
  delete(gvk: GroupVersionKind, key: ObjectKey): Promise<boolean>;
  /** Every record of the GVK, in no particular order. */
  list(gvk: GroupVersionKind): AsyncIterable<BackendRecord>;
  /** Every GVK that has at least one record, reserved ones included, in no particular order. */
  kinds(): Promise<GroupVersionKind[]>;
  /**
   * Rewrites what the backend stores so that no value superseded or deleted before the call is
   * left in its files: the file log compacts into a snapshot, in a compaction that starts after
   * the call. Rejects with a typed error when it could not. Absent for backends that keep no old
   * values: memory, and S3, where an overwrite or a delete replaces the object (a bucket with
   * versioning keeps the old versions until its lifecycle rules expire them).
   */
  compact?(): Promise<void>;
  /** Liveness: resolves when the backend can still persist, throws a typed error when it cannot. */
  probe(): Promise<void>;
  /** Flushes and releases everything; the backend is not used again. */
  close(): Promise<void>;
}
