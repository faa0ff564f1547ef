import type { BackendRecord } from '../backends/backend.js';
import type { BackendConfig } from '../backends/factory.js';
import type { GroupVersionKind } from '../contract/gvk.js';
import type { ObjectKey } from '../contract/object-key.js';
import type { RuntimeObject } from '../contract/types.js';
import type { WireError } from '../errors/base.js';

/**
 * The messages between the main thread and an actor's worker: a typed tagged union, plain data only
 * (structured clone carries it). Piscina pairs each request with its reply by task id; the results
 * of a batch come back positionally, one per operation. Errors travel as WireError and are rebuilt
 * with fromWireError, because a thrown Error loses its class and `code` crossing threads.
 */

/**
 * A backend built from an ES module instead of the factory: the module exports
 * `createBackend(options): Backend`. Accepted only when the runtime is created with
 * `allowModuleBackends: true`; the test suite uses it to load fault-injecting fixtures, so no test
 * code ships in the package.
 */
export interface ModuleBackendConfig {
  readonly kind: 'module';
  /** Absolute path or `file:` URL of the module, loaded inside the worker. */
  readonly module: string;
  /** Identifies the instance (with the module): the instance name is `module-<hash>`. */
  readonly name: string;
  /** Plain data handed to `createBackend`. */
  readonly options?: unknown;
}

export type InstanceConfig = BackendConfig | ModuleBackendConfig;

/** Operations that travel in batches. `order` is the (gvk, key) ordering key computed on the main thread. */
export type OpRequest =
  | { readonly op: 'put'; readonly order: string; readonly object: RuntimeObject }
  /** A put whose object the main thread already validated and encoded (see RuntimeProvider.putObject). */
  | {
      readonly op: 'put-encoded';
      readonly order: string;
      readonly gvk: GroupVersionKind;
      readonly key: ObjectKey;
      /** Canonical JSON: a string clones exactly, where pooled bytes would drag their 64 KiB pool chunk along. */
      readonly json: string;
    }
  | { readonly op: 'get'; readonly order: string; readonly gvk: GroupVersionKind; readonly key: string }
  | { readonly op: 'delete'; readonly order: string; readonly gvk: GroupVersionKind; readonly key: string }
  /** One page of a listing; `cursor` null starts one. */
  | {
      readonly op: 'list';
      readonly gvk: GroupVersionKind;
      readonly cursor: string | null;
      readonly pageSize: number;
    }
  | {
      readonly op: 'put-record';
      readonly order: string;
      readonly gvk: GroupVersionKind;
      readonly key: string;
      readonly bytes: Uint8Array;
    }
  | {
      readonly op: 'get-record';
      readonly order: string;
      readonly gvk: GroupVersionKind;
      readonly key: string;
    }
  | {
      readonly op: 'delete-record';
      readonly order: string;
      readonly gvk: GroupVersionKind;
      readonly key: string;
    }
  /** One page of a listing of records under the reserved group; `cursor` null starts one. */
  | {
      readonly op: 'list-records';
      readonly gvk: GroupVersionKind;
      readonly cursor: string | null;
      readonly pageSize: number;
    }
  | { readonly op: 'list-kinds' };

/**
 * One page of a listing. A listing crosses in pages, each its own task, so that no single task
 * outlasts the supervisor's hang timeout however large the listing is.
 */
export interface Page<T> {
  readonly items: T[];
  /**
   * Where the next page continues; null when the listing is complete. Unique to the worker that
   * issued it, so a cursor from before a restart is never taken for a newer listing's.
   */
  readonly cursor: string | null;
}

/** What each operation resolves with, by kind. */
export interface OpValues {
  put: string;
  'put-encoded': string;
  get: RuntimeObject | undefined;
  delete: boolean;
  list: Page<RuntimeObject>;
  'put-record': undefined;
  'get-record': Uint8Array | undefined;
  'delete-record': boolean;
  'list-records': Page<BackendRecord>;
  'list-kinds': GroupVersionKind[];
}

export type HostRequest =
  | {
      readonly type: 'open';
      readonly instance: string;
      readonly config: InstanceConfig;
      readonly machineId: string;
      readonly maxObjectBytes: number;
      /** OpenOptions.reopening: an earlier worker of this instance opened it. */
      readonly reopening: boolean;
    }
  | { readonly type: 'batch'; readonly instance: string; readonly ops: readonly OpRequest[] }
  | { readonly type: 'probe'; readonly instance: string }
  /**
   * Closes listings abandoned before their end. Sent beside the mailbox, so a full one cannot drop
   * them, and one at a time per worker (ActorRef.cancelListing), so they never take the task slots
   * that batches and probes need.
   */
  | { readonly type: 'cancel-listings'; readonly instance: string; readonly cursors: readonly string[] }
  /**
   * Backend.compact in steps: `id` null starts a compaction, a number waits on the one it started.
   * Each step answers within `waitMs`, done or not, so no task outlasts the supervisor's hang check
   * however long the compaction takes (ActorRef.compact).
   */
  | {
      readonly type: 'compact';
      readonly instance: string;
      readonly id: number | null;
      readonly waitMs: number;
    }
  | { readonly type: 'close'; readonly instance: string };

/** `seconds` is the time the worker spent on the operation, measured in the worker. */
export type OpReply =
  | { readonly ok: true; readonly value: unknown; readonly seconds: number }
  | { readonly ok: false; readonly error: WireError; readonly seconds: number };

export type HostReply =
  | {
      readonly ok: true;
      readonly results?: readonly OpReply[];
      /** Open only: what Backend.tornTailBytes reported (0 for a backend that cannot tear). */
      readonly tornTailBytes?: number;
      /** Open only: Backend.keepsCallOrder, which tells the caller whether replies can overtake. */
      readonly keepsCallOrder?: boolean;
      /** Probe only: what Backend.compactionFailure reported (absent: the backend does not compact). */
      readonly compactionFailure?: string | null;
      /** Compact only: the compaction's id, and whether it has finished. */
      readonly compacting?: { readonly id: number; readonly done: boolean };
      readonly seconds: number;
    }
  | { readonly ok: false; readonly error: WireError; readonly seconds: number };

/** What each actor worker is started with (piscina hands it over as the thread's `workerData`). */
export interface ActorWorkerData {
  /** Element 0 counts the requests the main thread has posted to this worker (host/idle-spin.ts). */
  readonly posted: Int32Array;
  /**
   * Element 0: the worker's OS thread id (backends/file/os-thread-id.ts), which it stores as it
   * starts; 0 before that and off Linux.
   */
  readonly thread: Int32Array;
  /**
   * Element 0: 1 while the backend writes removed files again (OpenOptions.onRepairing); 0
   * otherwise. WorkerSlot.oldestInFlightMs() reads it, so the hang check ages held operations from
   * the last time it saw a rewrite running.
   */
  readonly repairing: Int32Array;
  /** How long the idle worker polls `posted`; 0 turns the spin off. */
  readonly idleSpinMicros: number;
}
