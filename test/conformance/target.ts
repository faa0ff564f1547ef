import type { Backend, PersistenceProvider } from '../../src/index.js';

/** A provider opened over a storage location, with two instances so cross-instance isolation is testable. */
export interface OpenedProvider {
  readonly provider: PersistenceProvider;
  readonly instance: string;
  readonly otherInstance: string;
}

/** One empty storage location (a memory volume, a directory, a bucket) that outlives providers. */
export interface Storage {
  /** Opens and initializes a provider over this storage. */
  openProvider(options?: { maxObjectBytes?: number }): Promise<OpenedProvider>;
  /** A raw backend over the storage behind `instance`, to plant bytes no provider would write. */
  openRawBackend?(): Backend;
  dispose(): Promise<void>;
}

/** What the conformance suite runs against: memory, file or s3, directly or through the runtime. */
export interface ConformanceTarget {
  readonly name: string;
  createStorage(): Promise<Storage>;
  /** Whether data survives close and reopen of a provider over the same storage. */
  readonly persistent: boolean;
}
