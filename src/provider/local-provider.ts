import type { Backend, BackendRecord } from '../backends/backend.js';
import { nestedPrefixesProblem, nestedS3Prefixes } from '../backends/s3/config.js';
import { S3Backend } from '../backends/s3/s3-backend.js';
import { checkGvk, checkReservedGvk, type GroupVersionKind } from '../contract/gvk.js';
import { type MachineId, sameMachine } from '../contract/machine-id.js';
import type { ObjectKey } from '../contract/object-key.js';
import {
  type PersistenceProvider,
  PersistenceProviderStatus,
  type RuntimeObject,
} from '../contract/types.js';
import {
  ClosedError,
  ConfigError,
  InitializeFailedError,
  type InstanceFailure,
  NotInitializedError,
  UnknownInstanceError,
} from '../errors/index.js';
import type { RecordChannel } from '../secrets/record-channel.js';
import { MeanWindow } from '../stats/mean-window.js';
import { KeyOrder, recordOrderKey } from '../store/key-order.js';
import { ObjectStore, type ObjectStoreOptions } from '../store/object-store.js';
import { SharedTask } from '../store/shared-task.js';

export interface LocalInstance {
  /** `<kind>-<hash>`, see instanceName(). */
  readonly name: string;
  readonly backend: Backend;
}

interface Slot {
  readonly store: ObjectStore;
  readonly latency: MeanWindow;
  /**
   * Keeps calls on one key in submission order for backends that may reorder them (S3 does);
   * absent when the backend keeps call order itself, so the hot path skips it.
   */
  readonly order: KeyOrder | undefined;
  up: boolean;
  /** The open under way, by machine: a concurrent initialize() for it joins rather than opening twice. */
  readonly opening: SharedTask<MachineId, void>;
}

/**
 * The contract served in-process, on the caller's thread, with no actors and no queues. It is the
 * "direct path" the runtime is benchmarked against, and a simple embedding for tests and tools.
 */
export class LocalProvider implements PersistenceProvider, RecordChannel {
  private readonly slots = new Map<string, Slot>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private machineId: MachineId | undefined;

  constructor(instances: readonly LocalInstance[], options: ObjectStoreOptions | null = {}) {
    if (!Array.isArray(instances)) {
      throw new ConfigError('instances must be an array of { name, backend }', { field: 'instances' });
    }
    for (const { name, backend } of instances.map(checkInstance)) {
      if (this.slots.has(name))
        throw new ConfigError(`instance ${name} is configured twice`, { field: 'instances' });
      this.slots.set(name, {
        store: new ObjectStore(backend, options),
        latency: new MeanWindow(),
        order: backend.keepsCallOrder ? undefined : new KeyOrder(),
        up: false,
        opening: new SharedTask((a, b) => a.equals(b)),
      });
    }
    const s3 = instances.filter((instance) => instance.backend instanceof S3Backend);
    const nested = nestedS3Prefixes(s3.map(({ backend }) => (backend as S3Backend).config));
    if (nested) {
      const [outer, inner] = [nested.outer, nested.inner].map((at) => s3[at]!.name);
      throw new ConfigError(`instance ${inner}: ${nestedPrefixesProblem(outer!)}`, { field: 'instances' });
    }
  }

  /** Opens every instance; those that open stay usable even when others fail. */
  async initialize(machineId: MachineId): Promise<void> {
    if (this.closed) throw new ClosedError('provider is closed');
    const machine = sameMachine(this.machineId, machineId);
    this.machineId = machine;
    const failures: InstanceFailure[] = [];
    await Promise.all(
      [...this.slots].map(async ([instance, slot]) => {
        if (slot.up) return;
        try {
          await openSlot(slot, machine);
        } catch (error) {
          failures.push({ instance, error });
        }
      }),
    );
    // Cut off by close(): that, not the opens it interrupted, is why the instances are not up.
    if (this.closed) throw new ClosedError('provider closed during initialize');
    if (failures.length > 0) throw InitializeFailedError.of('initialize', failures);
  }

  instances(): string[] {
    return [...this.slots.keys()];
  }

  instanceStatus(instance: string): PersistenceProviderStatus {
    const slot = this.slots.get(instance);
    if (!slot) return PersistenceProviderStatus.missing();
    // A backend that refuses writes until reopened is not up: nothing here reopens it.
    const up = slot.up && !this.closed && slot.store.backend.writesRefused?.() === undefined;
    return new PersistenceProviderStatus(true, up, slot.latency.mean());
  }

  async putObject(instance: string, object: RuntimeObject): Promise<ObjectKey> {
    const slot = this.ready(instance);
    const called = performance.now();
    // Encoded now, not when its turn comes behind earlier calls on the key (S3): the object as it
    // was at the call is what gets stored.
    const encoded = slot.store.encode(object);
    return persist(
      slot,
      () => recordOrderKey(encoded.gvk, encoded.key),
      () => slot.store.putEncodedObject(encoded),
      called,
    );
  }

  async deleteObject(instance: string, gvk: GroupVersionKind, key: string): Promise<boolean> {
    const slot = this.ready(instance);
    return persist(
      slot,
      () => orderKey(gvk, key),
      () => slot.store.delete(gvk, key),
    );
  }

  async getObject(instance: string, gvk: GroupVersionKind, key: string): Promise<RuntimeObject | undefined> {
    const slot = this.ready(instance);
    return inOrder(
      slot,
      () => orderKey(gvk, key),
      () => slot.store.get(gvk, key),
    );
  }

  async getAllObjects(instance: string, gvk: GroupVersionKind): Promise<RuntimeObject[]> {
    return this.ready(instance).store.getAll(gvk);
  }

  async *streamAllObjects(instance: string, gvk: GroupVersionKind): AsyncIterable<RuntimeObject> {
    yield* this.ready(instance).store.stream(gvk);
  }

  async listKinds(instance: string): Promise<GroupVersionKind[]> {
    return this.ready(instance).store.listKinds();
  }

  async putRecord(instance: string, gvk: GroupVersionKind, key: string, bytes: Uint8Array): Promise<void> {
    const slot = this.ready(instance);
    return persist(
      slot,
      () => reservedOrderKey(gvk, key),
      () => slot.store.putRecord(gvk, key, bytes),
    );
  }

  async getRecord(instance: string, gvk: GroupVersionKind, key: string): Promise<Uint8Array | undefined> {
    const slot = this.ready(instance);
    return inOrder(
      slot,
      () => reservedOrderKey(gvk, key),
      () => slot.store.getRecord(gvk, key),
    );
  }

  async deleteRecord(instance: string, gvk: GroupVersionKind, key: string): Promise<boolean> {
    const slot = this.ready(instance);
    return persist(
      slot,
      () => reservedOrderKey(gvk, key),
      () => slot.store.deleteRecord(gvk, key),
    );
  }

  async listRecords(instance: string, gvk: GroupVersionKind): Promise<BackendRecord[]> {
    return this.ready(instance).store.listRecords(gvk);
  }

  /**
   * Rewrites the instance's stored data so that no value superseded or deleted before the call is
   * left in its files (Backend.compact: the file log compacts; memory and S3 keep no old values).
   */
  async compact(instance: string): Promise<void> {
    await this.ready(instance).store.compact();
  }

  /**
   * Closes every backend, those still opening included (their open then releases what it took);
   * every call returns the same close.
   */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= Promise.all([...this.slots.values()].map((slot) => slot.store.backend.close())).then(
      () => undefined,
    );
    return this.closing;
  }

  private ready(instance: string): Slot {
    if (this.closed) throw new ClosedError('provider is closed');
    const slot = this.slots.get(instance);
    if (!slot) throw UnknownInstanceError.named(instance);
    if (!slot.up) throw new NotInitializedError(`instance ${instance} is not initialized`, { instance });
    return slot;
  }
}

/** A LocalInstance as given, checked: a call from code has no schema in front of it. */
function checkInstance(instance: LocalInstance): LocalInstance {
  const { name, backend } = (instance ?? {}) as Partial<LocalInstance>;
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError('every instance needs a name, a non-empty string', { field: 'instances' });
  }
  if (typeof backend?.put !== 'function' || typeof backend.open !== 'function') {
    throw new ConfigError(`instance ${name} needs a backend`, { field: 'instances' });
  }
  return { name, backend };
}

/** Another machine's open goes to the backend, which refuses it while the first holds the store. */
function openSlot(slot: Slot, machineId: MachineId): Promise<void> {
  return slot.opening.run(machineId, () =>
    slot.store.backend.open(machineId, { maxObjectBytes: slot.store.maxObjectBytes }).then(() => {
      slot.up = true;
    }),
  );
}

/** The GVK is checked here so a malformed one is a typed error; the key is checked by the store. */
function orderKey(gvk: GroupVersionKind, key: string): string {
  return recordOrderKey(checkGvk(gvk), key);
}

function reservedOrderKey(gvk: GroupVersionKind, key: string): string {
  return recordOrderKey(checkReservedGvk(gvk), key);
}

/**
 * Runs `task` after the calls already submitted on its key, when the backend needs that. The key
 * is only computed then: for backends that keep call order, this is the hot path's whole cost.
 */
function inOrder<T>(slot: Slot, orderKey: () => string, task: () => Promise<T>): Promise<T> {
  return slot.order ? slot.order.run(orderKey(), task) : task();
}

/**
 * A write, in its key's order, feeding meanPersistLatency: the time from the call (`called`)
 * until the backend committed, as the runtime measures it, validation, encoding and the wait
 * behind earlier calls on the key included. It counted from the write's turn before, which left
 * out the encoding: 0.06 ms reported for puts the caller timed at 15 ms. Failed writes are not
 * counted.
 */
function persist<T>(
  slot: Slot,
  orderKey: () => string,
  write: () => Promise<T>,
  called = performance.now(),
): Promise<T> {
  return inOrder(slot, orderKey, () =>
    write().then((result) => {
      slot.latency.add((performance.now() - called) / 1000);
      return result;
    }),
  );
}
