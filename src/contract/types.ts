import type { GroupVersionKind } from './gvk.js';
import type { MachineId } from './machine-id.js';
import type { ObjectKey } from './object-key.js';

/** Kubernetes-shaped metadata. Only `name` is required; everything else is carried as-is. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** A Kubernetes-shaped object: apiVersion, kind, metadata, and any other JSON fields. */
export interface RuntimeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/**
 * The persistence contract, mapped from the control plane's Go interface. Every call that does
 * I/O is async. Instance names look like `<kind>-<confighash>`, e.g. `file-3fa2c1d0e9ab`.
 */
export interface PersistenceProvider {
  initialize(machineId: MachineId): Promise<void>;
  instances(): string[];
  /** Answers at once; never waits behind queued work. Unknown instances give `exists: false`. */
  instanceStatus(instance: string): PersistenceProviderStatus;
  /** Validates, persists durably, then resolves with the key. A second put of the same identity overwrites. */
  putObject(instance: string, object: RuntimeObject): Promise<ObjectKey>;
  /** Idempotent: resolves `true` if the object existed, `false` if it was already absent. */
  deleteObject(instance: string, gvk: GroupVersionKind, key: ObjectKey | string): Promise<boolean>;
  /** Resolves `undefined` when absent; every other failure throws a typed error. */
  getObject(
    instance: string,
    gvk: GroupVersionKind,
    key: ObjectKey | string,
  ): Promise<RuntimeObject | undefined>;
  /** Every object of the GVK, in no particular order. */
  getAllObjects(instance: string, gvk: GroupVersionKind): Promise<RuntimeObject[]>;
  /** The streaming variant of getAllObjects, for sets too large for one array. */
  streamAllObjects(instance: string, gvk: GroupVersionKind): AsyncIterable<RuntimeObject>;
  /** Every GVK the instance holds at least one object of, sorted: what copy, verify and dump walk. */
  listKinds(instance: string): Promise<GroupVersionKind[]>;
  close(): Promise<void>;
}

/** Status of one instance, as the Go contract reports it. */
export class PersistenceProviderStatus {
  constructor(
    /** Whether the provider has an instance of that name. */
    readonly exists: boolean,
    /** Whether the instance is up: initialized and passing its liveness probe. */
    readonly status: boolean,
    /** Mean seconds from the call until the backend committed, over the window in docs/metrics.md. */
    readonly meanPersistLatency: number,
  ) {}

  static missing(): PersistenceProviderStatus {
    return new PersistenceProviderStatus(false, false, 0);
  }

  /** Serializes with the original's field names. */
  toJSON(): { exists: boolean; status: boolean; mean_persist_latency: number } {
    return { exists: this.exists, status: this.status, mean_persist_latency: this.meanPersistLatency };
  }
}

/** One stored secret's metadata; never the value. */
export interface SecretInfo {
  readonly namespace: string;
  readonly name: string;
  readonly keyId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Secrets, encrypted at rest, in a key space apart from plain objects. See docs/secrets.md. */
export interface SecretPersistenceProvider {
  /** Encrypts and stores the value (a string is stored as UTF-8); a second put overwrites. */
  putSecret(
    instance: string,
    namespace: string,
    name: string,
    value: Uint8Array | string,
  ): Promise<SecretInfo>;
  /** The value's bytes, or `undefined` when absent; a record that fails to decrypt throws a typed error. */
  getSecret(instance: string, namespace: string, name: string): Promise<Uint8Array | undefined>;
  /** Idempotent: resolves `true` if the secret existed, `false` if it was already absent. */
  deleteSecret(instance: string, namespace: string, name: string): Promise<boolean>;
  /** Metadata only, never values; sorted by namespace, then name. */
  listSecrets(instance: string, namespace?: string): Promise<SecretInfo[]>;
  /**
   * Re-encrypts every secret under the keyring's primary key; `rotated` counts those rewritten,
   * `unchanged` those already under it.
   */
  rotate(instance: string): Promise<{ rotated: number; unchanged: number }>;
}
