import type { BackendRecord } from '../backends/backend.js';
import type { GroupVersionKind } from '../contract/gvk.js';

/**
 * The internal way to stowage's own records: already-encoded bytes under a GVK of the reserved
 * group (`internal.stowage.io`), on the same instances as plain objects but in a key space that
 * the public calls refuse. Implementations check the group and the key, keep per-key order, and
 * never look inside the bytes — so a provider that runs backends on worker threads only ever
 * carries ciphertext. Bytes are the caller's both ways: what a put took and what a get or a listing
 * gave are copies, so a caller may wipe them.
 *
 * LocalProvider and the runtime facade implement it; the secret provider works over either.
 * ObjectStore has record methods of the same names for one backend, without the instance.
 */
export interface RecordChannel {
  putRecord(instance: string, gvk: GroupVersionKind, key: string, bytes: Uint8Array): Promise<void>;
  getRecord(instance: string, gvk: GroupVersionKind, key: string): Promise<Uint8Array | undefined>;
  /** Resolves whether the record existed. */
  deleteRecord(instance: string, gvk: GroupVersionKind, key: string): Promise<boolean>;
  /** Every record of the GVK, in no particular order. */
  listRecords(instance: string, gvk: GroupVersionKind): Promise<BackendRecord[]>;
  /**
   * Leaves no value superseded or deleted before the call in the instance's files (Backend.compact).
   * Both providers have it; rotate() calls it when it is done. A channel of the caller's own
   * without it leaves the old records as its storage keeps them.
   */
  compact?(instance: string): Promise<void>;
}
