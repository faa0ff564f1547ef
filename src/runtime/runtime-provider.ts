import type { BackendRecord } from '../backends/backend.js';
import { backendInstanceName, storageIdentity } from '../backends/factory.js';
import { nestedPrefixesProblem, nestedS3Prefixes } from '../backends/s3/config.js';
import { instanceName } from '../config/instance-name.js';
import { checkGvk, checkReservedGvk, type GroupVersionKind } from '../contract/gvk.js';
import type { MachineId } from '../contract/machine-id.js';
import { checkObjectKey, type ObjectKey } from '../contract/object-key.js';
import {
  type PersistenceProvider,
  PersistenceProviderStatus,
  type RuntimeObject,
} from '../contract/types.js';
import {
  ActorDiedError,
  ClosedError,
  InstanceDownError,
  InvalidRuntimeConfigError,
  NotInitializedError,
  type StowageError,
  UnknownInstanceError,
} from '../errors/index.js';
import { prepareObject } from '../objects/codec.js';
import { ownedBytes } from '../objects/owned-bytes.js';
import type { RecordChannel } from '../secrets/record-channel.js';
import { recordOrderKey } from '../store/key-order.js';
import { ActorRef } from './actor-ref.js';
import { idleSpinFor, isRemote } from './batching.js';
import { checkInstanceConfig } from './instance-config.js';
import type { ListingLease } from './listing-slots.js';
import type { Operation, RuntimeSnapshot } from './observer.js';
import { type ResolvedOptions, type RuntimeOptions, resolveOptions } from './options.js';
import type { InstanceConfig, Page } from './protocol.js';
import { Supervisor } from './supervisor.js';
import { resolveWorkerEntry } from './worker-entry.js';

/**
 * Objects whose canonical JSON has at most this many characters are validated and encoded on the
 * caller's thread and cross to the worker as that JSON text. For a 2 KiB ConfigMap that costs this thread
 * about 3 µs and saves the worker its deserialization and encoding; with the worker's blocking
 * log I/O and full batches leaving at once, it took file puts through the runtime at 256 in flight
 * from about 47k to 71–76k/s (docs/architecture.md). Larger objects are encoded in the worker: a dense
 * one (a CRD) costs about 4.7 µs per KiB to encode, which would stall the caller's event loop for
 * milliseconds. Finding that an object is larger stops the walk just past the limit, which costs
 * about 50 µs for a CRD; such an object is then validated and copied here (plainCopy), which shares
 * its strings instead of quoting them. 84 of the 131 kube-prometheus fixture objects are under it.
 */
export const INLINE_ENCODE_MAX_CHARS = 8 * 1024;

/**
 * The persistence contract served by supervised actors on worker threads (docs/architecture.md):
 *
 *   caller ─▶ RuntimeProvider: encode (small) or validate and copy (large), order key ─▶ Mailbox (p-queue)
 *          ─▶ Batcher (group commit per message) ─▶ WorkerSlot (1-thread piscina) ─▶ backend
 *   Supervisor: initialize/retry, probes, restarts, status table — all on the main thread.
 *
 * Small objects are validated and encoded here, on the caller's thread, and cross as JSON text; larger
 * ones are validated and copied here, so what is stored is the object as it was at the call, and
 * encoded in the worker (ObjectStore), so they cost the caller's event loop the copy and the
 * structured clone, not the encoding. See INLINE_ENCODE_MAX_CHARS.
 */
export class RuntimeProvider implements PersistenceProvider, RecordChannel {
  private readonly options: ResolvedOptions;
  private readonly supervisor: Supervisor;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Instances whose worker thread close() could not end (ActorRef.close). */
  private readonly leftRunning: string[] = [];

  constructor(instanceConfigs: readonly InstanceConfig[], options: RuntimeOptions | null = {}) {
    if (!Array.isArray(instanceConfigs)) {
      throw new InvalidRuntimeConfigError('instances must be an array of instance configurations', {
        field: 'instances',
      });
    }
    const configs = instanceConfigs.map(checkInstanceConfig);
    this.options = resolveOptions(options);
    this.supervisor = new Supervisor(this.options);
    const s3 = configs.filter((config) => config.kind === 's3');
    const nested = nestedS3Prefixes(s3);
    if (nested) {
      const [outer, inner] = [nested.outer, nested.inner].map((at) => this.nameOf(s3[at]!));
      throw new InvalidRuntimeConfigError(`instance ${inner}: ${nestedPrefixesProblem(outer!)}`, {
        field: 'instances',
      });
    }
    const entry = resolveWorkerEntry();
    const localWorkers = configs.filter((config) => !isRemote(config.kind)).length;
    // One storage under two spellings (a symbolic link, an endpoint with a trailing slash) would be
    // two actors writing it, each ordering its own calls: refused like one name given twice, which
    // is one storage too (a name hashes what the storage identity normalizes).
    const storages = new Map<string, string>();
    for (const config of configs) {
      const name = this.nameOf(config);
      const storage = config.kind === 'module' ? name : storageIdentity(config);
      const same = storages.get(storage);
      if (same !== undefined) {
        const twice = same === name ? `${name} is configured twice` : `${name} is ${same} again`;
        throw new InvalidRuntimeConfigError(`instance ${twice}`, { field: 'instances' });
      }
      storages.set(storage, name);
      const idleSpinMicros = idleSpinFor(config.kind, this.options.idleSpinMicros, localWorkers);
      const actor = new ActorRef(name, config, this.options, entry, idleSpinMicros, (reason, cause) =>
        this.supervisor.actorDied(name, reason, cause),
      );
      this.supervisor.add(actor);
    }
  }

  initialize(machineId: MachineId): Promise<void> {
    return this.supervisor.initialize(machineId);
  }

  instances(): string[] {
    return this.supervisor.all().map((e) => e.actor.name);
  }

  instanceStatus(instance: string): PersistenceProviderStatus {
    const e = this.supervisor.get(instance);
    if (!e) return PersistenceProviderStatus.missing();
    return new PersistenceProviderStatus(true, e.phase === 'up' && !this.closed, e.actor.latency.mean());
  }

  /**
   * Brings back an instance the restart-intensity limit stopped (or one still failing to
   * initialize), with a fresh restart history. Throws InitializeFailedError if it fails again.
   */
  restartInstance(instance: string): Promise<void> {
    // Closed first, as every other call answers after close(), whatever instance it names.
    if (this.closed) return Promise.reject(new ClosedError('provider is closed'));
    if (!this.supervisor.get(instance)) return Promise.reject(UnknownInstanceError.named(instance));
    return this.supervisor.restartInstance(instance);
  }

  snapshot(): RuntimeSnapshot {
    const entries = this.supervisor.all();
    return {
      instances: entries.map(({ actor, phase }) => ({
        store: actor.name,
        backend: actor.backendKind,
        up: phase === 'up' && !this.closed,
        queueDepth: actor.mailbox.depth,
        queueCapacity: actor.mailbox.capacity,
        inFlight: actor.inFlight,
        meanPersistLatency: actor.latency.mean(),
        busySeconds: actor.busySeconds,
      })),
      workers: entries.filter((e) => e.actor.hasWorker).length,
    };
  }

  async putObject(instance: string, object: RuntimeObject): Promise<ObjectKey> {
    const started = performance.now();
    const actor = this.ready(instance, 'put');
    const prepared = prepareObject(object, INLINE_ENCODE_MAX_CHARS, this.options.maxObjectBytes);
    const { gvk, key, json, copy } = prepared;
    const order = recordOrderKey(gvk, key);
    await actor.call(
      json === undefined ? { op: 'put', order, object: copy } : { op: 'put-encoded', order, gvk, key, json },
      started,
    );
    return key;
  }

  async getObject(instance: string, gvk: GroupVersionKind, key: string): Promise<RuntimeObject | undefined> {
    const started = performance.now();
    const actor = this.ready(instance, 'get');
    return actor.call({ op: 'get', ...objectAddress(gvk, key), key }, started);
  }

  async deleteObject(instance: string, gvk: GroupVersionKind, key: string): Promise<boolean> {
    const started = performance.now();
    const actor = this.ready(instance, 'delete');
    return actor.call({ op: 'delete', ...objectAddress(gvk, key), key }, started);
  }

  async getAllObjects(instance: string, gvk: GroupVersionKind): Promise<RuntimeObject[]> {
    const objects: RuntimeObject[] = [];
    for await (const object of this.streamAllObjects(instance, gvk)) objects.push(object);
    return objects;
  }

  /** Pages of `listPageSize` objects cross from the worker; the listing's iterator stays there. */
  async *streamAllObjects(instance: string, gvk: GroupVersionKind): AsyncIterable<RuntimeObject> {
    const actor = this.ready(instance, 'get_all');
    const checked = checkGvk(gvk);
    yield* this.pages(actor, (cursor) =>
      actor.call(
        { op: 'list', gvk: checked, cursor, pageSize: this.options.listPageSize },
        performance.now(),
        cursor !== null,
      ),
    );
  }

  /** Every GVK the instance holds objects of, sorted (stowage's reserved records excluded). */
  async listKinds(instance: string): Promise<GroupVersionKind[]> {
    return this.ready(instance, undefined).call({ op: 'list-kinds' }, performance.now());
  }

  async putRecord(instance: string, gvk: GroupVersionKind, key: string, bytes: Uint8Array): Promise<void> {
    const started = performance.now();
    const actor = this.ready(instance, 'put');
    // Structured clone copies the whole buffer behind a view: send a record that owns its bytes.
    const record = ownedBytes(bytes);
    await actor.call({ op: 'put-record', order: recordOrder(gvk, key), gvk, key, bytes: record }, started);
  }

  async getRecord(instance: string, gvk: GroupVersionKind, key: string): Promise<Uint8Array | undefined> {
    const started = performance.now();
    const actor = this.ready(instance, 'get');
    return actor.call({ op: 'get-record', order: recordOrder(gvk, key), gvk, key }, started);
  }

  async deleteRecord(instance: string, gvk: GroupVersionKind, key: string): Promise<boolean> {
    const started = performance.now();
    const actor = this.ready(instance, 'delete');
    return actor.call({ op: 'delete-record', order: recordOrder(gvk, key), gvk, key }, started);
  }

  /**
   * Rewrites the instance's stored data so that no value superseded or deleted before the call is
   * left in its files (Backend.compact: the file log compacts; memory and S3 keep no old values).
   * Runs on the worker in steps, each shorter than the hang check (ActorRef.compact).
   */
  async compact(instance: string): Promise<void> {
    await this.ready(instance, undefined).compact();
  }

  /** In pages, as streamAllObjects: one task for every record could outlast the hang timeout. */
  async listRecords(instance: string, gvk: GroupVersionKind): Promise<BackendRecord[]> {
    const actor = this.ready(instance, 'get_all');
    const checked = checkReservedGvk(gvk);
    const records: BackendRecord[] = [];
    const pages = this.pages(actor, (cursor) =>
      actor.call(
        { op: 'list-records', gvk: checked, cursor, pageSize: this.options.listPageSize },
        performance.now(),
        cursor !== null,
      ),
    );
    for await (const record of pages) records.push(record);
    return records;
  }

  /**
   * Runs a paged listing, observed once as a `get_all`: each page is a task of its own, and the
   * listing's iterator stays in the worker under the cursor each page returns. The listing first
   * takes one of the instance's listing slots (listing-slots.ts); one abandoned early releases its
   * slot and its iterator. A later page is only asked of the worker that served the first: after a
   * restart or a close the cursor is gone, and the listing fails with that cause.
   */
  private async *pages<T>(
    actor: ActorRef,
    fetch: (cursor: string | null) => Promise<Page<T>>,
  ): AsyncIterable<T> {
    // The listing's time is what it spent waiting for a slot and for pages, not the time the
    // consumer took between them.
    let waitedMs = 0;
    let waitingSince: number | undefined = performance.now();
    let lease: ListingLease | undefined;
    let errorCode: string | undefined;
    try {
      lease = await actor.listings.acquire();
      const incarnation = actor.incarnation;
      do {
        if (lease.cursor !== null) this.checkListingGoesOn(actor, lease, incarnation);
        lease.fetching = true;
        let page: Page<T>;
        try {
          page = await fetch(lease.cursor);
        } finally {
          lease.fetching = false;
          lease.idleSince = performance.now();
        }
        waitedMs += lease.idleSince - waitingSince;
        waitingSince = undefined;
        lease.cursor = page.cursor;
        for (const item of page.items) {
          yield item;
          // Idle means the consumer stopped pulling, not that it is still working through a page.
          lease.idleSince = performance.now();
        }
        waitingSince = performance.now();
      } while (lease.cursor !== null);
    } catch (error) {
      errorCode = (error as StowageError).code ?? 'STOWAGE_INTERNAL';
      throw error;
    } finally {
      if (waitingSince !== undefined) waitedMs += performance.now() - waitingSince;
      if (lease) {
        // An expired lease's cursor was closed when its slot was taken back.
        if (lease.cursor !== null && !lease.expired) actor.cancelListing(lease.cursor);
        actor.listings.release(lease);
      }
      actor.observe('get_all', performance.now() - waitedMs, undefined, errorCode);
    }
  }

  /** Throws why a listing cannot ask for its next page, if it cannot. */
  private checkListingGoesOn(actor: ActorRef, lease: ListingLease, incarnation: object | undefined): void {
    if (this.closed) {
      throw new ClosedError(`provider closed during a listing of ${actor.name}`, { instance: actor.name });
    }
    if (lease.expired) throw lease.expired;
    if (!actor.serves(incarnation)) {
      throw new ActorDiedError(
        `the listing's cursor is gone: the worker of ${actor.name} that served it died or was replaced`,
        { reason: 'restart' },
      );
    }
  }

  /**
   * Stops accepting work, drains mailboxes up to `closeDeadlineMs`, closes backends, ends workers.
   * Every call resolves when that is done, a second one included (a signal handler and a
   * `finally` may both await it).
   */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /**
   * After close(): the instances whose worker thread is still running, blocked in a system call
   * that termination cannot interrupt (each was warned of as STOWAGE_CLOSE_FAILED). While one is,
   * the process cannot exit: Node waits for every thread at exit, process.exit() included.
   */
  workersLeftRunning(): readonly string[] {
    return [...this.leftRunning];
  }

  private async closeOnce(): Promise<void> {
    this.closed = true;
    this.supervisor.stop();
    // One deadline for the drain and the backend's close together: each used to get all of it.
    // A worker terminated at the deadline loses nothing acknowledged (unless it was writing a
    // removed log again: ActorRef.close warns), and its file lock is stale once its thread is gone.
    const ends = performance.now() + this.options.closeDeadlineMs;
    const left = () => Math.max(0, ends - performance.now());
    await Promise.all(
      this.supervisor.all().map(async (e) => {
        await e.actor.mailbox.drain(left());
        const closed = new ClosedError(`provider closed before the operation ran`, {
          instance: e.actor.name,
        });
        e.actor.rejectPending(closed);
        e.actor.listings.rejectWaiting(closed);
        if (!(await e.actor.close(left()))) this.leftRunning.push(e.actor.name);
        this.supervisor.markClosed(e);
      }),
    );
  }

  /**
   * The actor of an instance that is up. A call refused because its instance is down or not yet
   * initialized is counted as a failed `operation` of that store: those are the failures an
   * operator looks for. An unknown instance is not, since its name would be a label value no
   * configuration bounds.
   */
  private ready(instance: string, operation: Operation | undefined): ActorRef {
    if (this.closed) throw new ClosedError('provider is closed');
    const e = this.supervisor.get(instance);
    if (!e) throw UnknownInstanceError.named(instance);
    if (e.phase === 'up') return e.actor;
    const error = e.everUp
      ? new InstanceDownError(`instance ${instance} is down (${e.phase}): ${e.lastFailure ?? 'restarting'}`, {
          instance,
          phase: e.phase,
        })
      : new NotInitializedError(`instance ${instance} is not initialized`, { instance });
    e.actor.observe(operation, performance.now(), undefined, error.code);
    throw error;
  }

  private nameOf(config: InstanceConfig): string {
    if (config.kind !== 'module') return backendInstanceName(config);
    if (!this.options.allowModuleBackends) {
      throw new InvalidRuntimeConfigError('module backends need allowModuleBackends: true', {
        field: 'kind',
      });
    }
    return instanceName('module', `${config.module}\u0000${config.name}`);
  }
}

/** The checked GVK and order key of an object: a malformed GVK or key fails here, before queueing. */
function objectAddress(gvk: GroupVersionKind, key: string): { gvk: GroupVersionKind; order: string } {
  const checked = checkGvk(gvk);
  return { gvk: checked, order: recordOrderKey(checked, checkObjectKey(checked, key)) };
}

function recordOrder(gvk: GroupVersionKind, key: string): string {
  const checked = checkReservedGvk(gvk);
  return recordOrderKey(checked, checkObjectKey(checked, key));
}
