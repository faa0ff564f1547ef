import { randomUUID } from 'node:crypto';
import { workerData } from 'node:worker_threads';
import type { BackendRecord } from '../../backends/backend.js';
import { currentOsThreadId } from '../../backends/file/os-thread-id.js';
import { gvkString } from '../../contract/gvk.js';
import { MachineId } from '../../contract/machine-id.js';
import {
  ActorDiedError,
  InternalError,
  ListingExpiredError,
  toWireError,
  UnknownInstanceError,
} from '../../errors/index.js';
import { ownedBytes } from '../../objects/owned-bytes.js';
import { KeyOrder } from '../../store/key-order.js';
import { ObjectStore } from '../../store/object-store.js';
import { MAX_OPEN_LISTINGS } from '../listing-slots.js';
import type { ActorWorkerData, HostReply, HostRequest, OpReply, OpRequest, Page } from '../protocol.js';
import { settlesWithin } from '../settles-within.js';
import { IdleSpin } from './idle-spin.js';
import { loadBackend } from './load-backend.js';

/**
 * The worker side of an actor: it owns the instance's backend (open files, clients, indexes) and
 * answers HostRequests. It never throws; every failure becomes an `{ok:false, error}` reply, so a
 * rejected piscina task means the worker itself died, unless the request never reached it
 * (WorkerSlot's RequestNotSentError).
 */
interface Actor {
  readonly store: ObjectStore;
  /**
   * Batches overlap in the worker; this keeps operations on one (gvk, key) in arrival order.
   * Absent when the backend keeps call order itself (operations reach it in arrival order).
   */
  readonly order: KeyOrder | undefined;
  /** Open listings by cursor, least recently read first (listPage). */
  readonly cursors: Map<string, Listing>;
  nextCursor: number;
  /** The compaction the main thread asked for last, while it waits on it (compactStep). */
  compaction: { readonly id: number; readonly done: Promise<void> } | undefined;
}

/** A listing between pages: its iterator, and what it lists, which a cursor must match. */
interface Listing {
  readonly op: 'list' | 'list-records';
  readonly gvk: string;
  readonly iterator: AsyncIterator<unknown>;
}

/**
 * Listings a worker keeps open between pages, as a last resort: the main thread admits at most
 * MAX_OPEN_LISTINGS per instance (listing-slots.ts), but the cancels of the listings it closes
 * travel apart from the pages, so a few more can be open here for a moment. Past this the least
 * recently read is closed, which only a main thread not limiting its listings would ever reach.
 */
const WORKER_OPEN_LISTINGS = 2 * MAX_OPEN_LISTINGS;
/**
 * A page holds at most listPageSize items, and stops early once its items' stored bytes reach
 * this: 256 objects of up to 1.5 MiB each would otherwise make pages of 384 MiB, on both threads.
 */
const PAGE_BYTES = 4 * 1024 * 1024;
/** This worker's part of every cursor it issues (see listPage). */
const CURSOR_EPOCH = randomUUID();

const actors = new Map<string, Actor>();
/** Null only when this module is loaded outside an actor worker. */
const startedWith = workerData as ActorWorkerData | null;
const idleSpin = new IdleSpin(startedWith?.posted, (startedWith?.idleSpinMicros ?? 0) / 1000);
if (startedWith) Atomics.store(startedWith.thread, 0, currentOsThreadId());

export async function handleRequest(request: HostRequest): Promise<HostReply> {
  idleSpin.started(request.type === 'batch' ? request.ops.length : 1);
  try {
    return await handle(request);
  } finally {
    idleSpin.finished();
  }
}

async function handle(request: HostRequest): Promise<HostReply> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    switch (request.type) {
      case 'open':
        return { ok: true, ...(await open(request)), seconds: seconds() };
      case 'batch': {
        const actor = actorFor(request.instance);
        const results = await Promise.all(request.ops.map((op) => runOp(actor, op)));
        return { ok: true, results, seconds: seconds() };
      }
      case 'cancel-listings':
        await cancelListings(actorFor(request.instance), request.cursors);
        return { ok: true, seconds: seconds() };
      case 'probe': {
        const { backend } = actorFor(request.instance).store;
        await backend.probe();
        const failure = backend.compactionFailure?.();
        return {
          ok: true,
          seconds: seconds(),
          ...(failure !== undefined && { compactionFailure: failure }),
        };
      }
      case 'compact':
        return {
          ok: true,
          compacting: await compactStep(actorFor(request.instance), request),
          seconds: seconds(),
        };
      case 'close': {
        const actor = actors.get(request.instance);
        actors.delete(request.instance);
        await actor?.store.backend.close();
        return { ok: true, seconds: seconds() };
      }
    }
  } catch (error) {
    return { ok: false, error: toWireError(error), seconds: seconds() };
  }
}

/**
 * Opens the instance's backend; resolves with the bytes of a torn tail the open cut off, and
 * whether the backend keeps call order (else this worker orders each key's calls itself).
 */
async function open(
  request: Extract<HostRequest, { type: 'open' }>,
): Promise<{ tornTailBytes: number; keepsCallOrder: boolean }> {
  const opened = actors.get(request.instance);
  if (opened) return { tornTailBytes: 0, keepsCallOrder: opened.order === undefined };
  const backend = await loadBackend(request.config);
  try {
    await backend.open(MachineId.parse(request.machineId), {
      maxObjectBytes: request.maxObjectBytes,
      reopening: request.reopening,
      // Shared with the main thread, whose supervisor reads it before it judges a hang.
      ...(startedWith && {
        onRepairing: (active: boolean) => Atomics.store(startedWith.repairing, 0, active ? 1 : 0),
      }),
    });
  } catch (error) {
    // A half-opened backend may hold a lock or a handle; release what it can before the retry.
    await backend.close().catch(() => undefined);
    throw error;
  }
  const keepsCallOrder = backend.keepsCallOrder === true;
  actors.set(request.instance, {
    store: new ObjectStore(backend, { maxObjectBytes: request.maxObjectBytes }),
    order: keepsCallOrder ? undefined : new KeyOrder(),
    cursors: new Map(),
    nextCursor: 1,
    compaction: undefined,
  });
  return { tornTailBytes: backend.tornTailBytes?.() ?? 0, keepsCallOrder };
}

function actorFor(instance: string): Actor {
  const actor = actors.get(instance);
  if (!actor) throw new UnknownInstanceError(`instance ${instance} is not open in this worker`, { instance });
  return actor;
}

async function runOp(actor: Actor, op: OpRequest): Promise<OpReply> {
  const started = performance.now();
  try {
    const value = await perform(actor, op);
    return { ok: true, value, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    return { ok: false, error: toWireError(error), seconds: (performance.now() - started) / 1000 };
  }
}

function perform(actor: Actor, op: OpRequest): Promise<unknown> {
  const { store } = actor;
  switch (op.op) {
    case 'put':
      return inOrder(actor, op.order, () => store.put(op.object));
    case 'put-encoded':
      return inOrder(actor, op.order, () => store.putEncoded(op));
    case 'get':
      return inOrder(actor, op.order, () => store.get(op.gvk, op.key));
    case 'delete':
      return inOrder(actor, op.order, () => store.delete(op.gvk, op.key));
    case 'list':
      return listPage(actor, op, () => actor.store.streamSized(op.gvk));
    case 'put-record':
      return inOrder(actor, op.order, () => store.putRecord(op.gvk, op.key, op.bytes));
    case 'get-record':
      // Bytes cross back by structured clone, which copies the whole buffer behind a view.
      return inOrder(actor, op.order, () =>
        store.getRecord(op.gvk, op.key).then((bytes) => bytes && ownedBytes(bytes)),
      );
    case 'delete-record':
      return inOrder(actor, op.order, () => store.deleteRecord(op.gvk, op.key));
    case 'list-records':
      return listPage(actor, op, () => sizedRecords(store.streamRecords(op.gvk)));
    case 'list-kinds':
      return store.listKinds();
  }
}

function inOrder<T>(actor: Actor, key: string, task: () => Promise<T>): Promise<T> {
  return actor.order ? actor.order.run(key, task) : task();
}

/**
 * Serves one page of a listing that `start` begins. The iterator stays here between pages, under a
 * cursor the main thread hands back for the next page. Cursors carry this worker's epoch, so one
 * issued by the worker this one replaced is recognised as such, and each remembers the listing it
 * belongs to.
 */
async function listPage<T>(
  actor: Actor,
  op: Extract<OpRequest, { op: 'list' | 'list-records' }>,
  start: () => AsyncIterable<Sized<T>>,
): Promise<Page<T>> {
  const gvk = gvkString(op.gvk);
  let cursor = op.cursor;
  let listing: Listing | undefined;
  if (cursor === null) {
    cursor = `${CURSOR_EPOCH}:${actor.nextCursor++}`;
    listing = { op: op.op, gvk, iterator: start()[Symbol.asyncIterator]() };
  } else {
    listing = continued(actor, cursor, op.op, gvk);
    // Re-inserted at the end: the map's order is then least recently read first (evictBeyondLimit).
    actor.cursors.delete(cursor);
  }
  const iterator = listing.iterator as AsyncIterator<Sized<T>>;
  const items: T[] = [];
  let bytes = 0;
  while (items.length < op.pageSize && bytes < PAGE_BYTES) {
    // A listing that failed is over: its cursor is not kept.
    const next = await iterator.next();
    if (next.done) return { items, cursor: null };
    items.push(next.value.item);
    bytes += next.value.bytes;
  }
  // Counted only once it stays open: a listing done in one page never evicts another.
  evictBeyondLimit(actor);
  actor.cursors.set(cursor, listing);
  return { items, cursor };
}

function continued(actor: Actor, cursor: string, op: Listing['op'], gvk: string): Listing {
  const listing = actor.cursors.get(cursor);
  if (!cursor.startsWith(`${CURSOR_EPOCH}:`)) {
    // Cursors live in the worker; after a restart the listing cannot continue where it was.
    throw new ActorDiedError(`listing cursor ${cursor} is gone: the actor restarted`, { reason: 'restart' });
  }
  if (!listing) {
    throw new ListingExpiredError(
      `listing cursor ${cursor} was closed: more than ${WORKER_OPEN_LISTINGS} listings were open in this worker and it was the least recently read`,
      { limit: WORKER_OPEN_LISTINGS },
    );
  }
  if (listing.op !== op || listing.gvk !== gvk) {
    throw new InternalError(
      `listing cursor ${cursor} belongs to a ${listing.op} of ${listing.gvk}, not a ${op} of ${gvk}`,
    );
  }
  return listing;
}

/** Makes room for one more listing by closing the least recently read past the limit. */
function evictBeyondLimit(actor: Actor): void {
  for (const [cursor, listing] of actor.cursors) {
    if (actor.cursors.size < WORKER_OPEN_LISTINGS) return;
    actor.cursors.delete(cursor);
    void Promise.resolve()
      .then(() => listing.iterator.return?.())
      .catch(() => undefined);
  }
}

/** Ids of the compactions this worker started, unique to it as cursors are. */
let compactions = 0;

/**
 * Starts a compaction (`id` null) or waits on the one started, for at most `waitMs`. The main thread
 * asks for one at a time per instance. An id this worker did not give out means the worker that
 * ran the compaction was replaced, and what it did is unknown.
 */
async function compactStep(
  actor: Actor,
  { id, waitMs }: Extract<HostRequest, { type: 'compact' }>,
): Promise<{ id: number; done: boolean }> {
  if (id === null) {
    const done = actor.store.compact();
    // Awaited by the steps that follow; a failure is theirs to report.
    done.catch(() => undefined);
    actor.compaction = { id: ++compactions, done };
  } else if (actor.compaction?.id !== id) {
    throw new ActorDiedError(`compaction ${id} is gone: the actor restarted while it ran`, {
      reason: 'restart',
    });
  }
  const compaction = actor.compaction as { readonly id: number; readonly done: Promise<void> };
  try {
    const done = await settlesWithin(compaction.done, waitMs);
    if (done) actor.compaction = undefined;
    return { id: compaction.id, done };
  } catch (error) {
    actor.compaction = undefined;
    throw error;
  }
}

/** A listing's item and the stored bytes behind it, which bound a page. */
interface Sized<T> {
  readonly item: T;
  readonly bytes: number;
}

/** Bytes cross back by structured clone, which copies the whole buffer behind a view. */
async function* sizedRecords(records: AsyncIterable<BackendRecord>): AsyncIterable<Sized<BackendRecord>> {
  for await (const record of records) {
    yield { item: { key: record.key, bytes: ownedBytes(record.bytes) }, bytes: record.bytes.length };
  }
}

/** A cursor this worker does not hold (finished, evicted, or an earlier worker's) is ignored. */
async function cancelListings(actor: Actor, cursors: readonly string[]): Promise<void> {
  const listings = cursors.flatMap((cursor) => {
    const listing = actor.cursors.get(cursor);
    actor.cursors.delete(cursor);
    return listing ? [listing] : [];
  });
  // One listing whose backend fails to close it must not keep the others open.
  await Promise.allSettled(listings.map((listing) => listing.iterator.return?.()));
}
