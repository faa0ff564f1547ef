import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ActorDiedError,
  ClosedError,
  FileIoError,
  InvalidObjectError,
  ListingExpiredError,
  MachineId,
  RESERVED_GROUP,
  ReservedGroupError,
  S3UnreachableError,
} from '../../src/index.js';
import { LISTING_IDLE_EVICT_MS, MAX_OPEN_LISTINGS } from '../../src/runtime/listing-slots.js';
import type { RuntimeOptions } from '../../src/runtime/options.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { fixtureModule, RecordingObserver } from '../faults/runtime-harness.js';
import { makeObject } from '../helpers/objects.js';

const SECRET = { group: RESERVED_GROUP, version: 'v1', kind: 'Secret' };

test('the internal record channel crosses to the worker as bytes; public calls cannot reach it', async () => {
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'records' }]);
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    await provider.putRecord(instance, SECRET, 'ns/s1', bytes);
    assert.deepEqual(await provider.getRecord(instance, SECRET, 'ns/s1'), bytes);
    assert.deepEqual(
      (await provider.listRecords(instance, SECRET)).map((r) => [r.key, [...r.bytes]]),
      [['ns/s1', [0, 1, 2, 254, 255]]],
    );
    await assert.rejects(provider.getAllObjects(instance, SECRET), ReservedGroupError);
    await assert.rejects(provider.getObject(instance, SECRET, 'ns/s1'), ReservedGroupError);
    assert.equal(await provider.deleteRecord(instance, SECRET, 'ns/s1'), true);
    assert.equal(await provider.getRecord(instance, SECRET, 'ns/s1'), undefined);
    assert.equal(await provider.deleteRecord(instance, SECRET, 'ns/s1'), false);
  } finally {
    await provider.close();
  }
});

test('a record listing longer than the hang timeout crosses in pages and kills no worker', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-records-'));
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider(
    [
      {
        kind: 'module',
        module: fixtureModule('slow-list-backend'),
        name: 'slow-list',
        options: { dir, delayMs: 60 },
      },
    ],
    {
      allowModuleBackends: true,
      listPageSize: 2,
      supervisor: { hangTimeoutMs: 300, probeIntervalMs: 50 },
      observer,
    },
  );
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const keys = Array.from({ length: 12 }, (_, i) => `ns/s${String(i).padStart(2, '0')}`);
    for (const key of keys) await provider.putRecord(instance, SECRET, key, new Uint8Array([1, 2, 3]));
    // 12 records at 60 ms each: 720 ms in all, 120 ms a page, against a hang timeout of 300 ms.
    const records = await provider.listRecords(instance, SECRET);
    assert.deepEqual(records.map((r) => r.key).sort(), keys);
    assert.deepEqual(observer.restarts, [], 'no worker was taken for hung');
    assert.equal(provider.instanceStatus(instance).status, true);
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a compaction longer than the hang timeout runs in steps and kills no worker; its failure is the caller's typed error", async () => {
  const observer = new RecordingObserver();
  const runtime = { supervisor: { hangTimeoutMs: 300, probeIntervalMs: 50 }, observer };
  const slow = await slowListProvider({ delayMs: 0, compactDelayMs: 1000 }, runtime);
  try {
    const started = performance.now();
    // Two at once: each gets a compaction of its own, one after the other.
    await Promise.all([slow.provider.compact(slow.instance), slow.provider.compact(slow.instance)]);
    assert.ok(performance.now() - started >= 2000, 'both compactions ran, one after the other');
    assert.deepEqual(observer.restarts, [], 'no worker was taken for hung');
    assert.equal(slow.provider.instanceStatus(slow.instance).status, true);
  } finally {
    await slow.cleanup();
  }
  const failing = await slowListProvider(
    { delayMs: 0, compactDelayMs: 10, compactFailure: 'no room' },
    runtime,
  );
  try {
    await assert.rejects(
      failing.provider.compact(failing.instance),
      (error: unknown) => error instanceof FileIoError && error.message === 'no room',
    );
    assert.equal(failing.provider.instanceStatus(failing.instance).status, true);
  } finally {
    await failing.cleanup();
  }
});

async function slowListProvider(options: Record<string, unknown>, runtime: RuntimeOptions = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-listings-'));
  const provider = new RuntimeProvider(
    [
      {
        kind: 'module',
        module: fixtureModule('slow-list-backend'),
        name: 'listings',
        options: { dir, ...options },
      },
    ],
    { allowModuleBackends: true, listPageSize: 1, ...runtime },
  );
  await provider.initialize(MachineId.generate());
  const [instance] = provider.instances() as [string];
  const cleanup = async () => {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { provider, instance, cleanup };
}

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };

test('a listing begun before a restart fails with ActorDiedError, and never continues a newer listing', async () => {
  const { provider, instance, cleanup } = await slowListProvider({ delayMs: 0 });
  try {
    for (const name of ['a', 'b', 'c'])
      await provider.putObject(instance, makeObject({ name, namespace: 'ns' }));
    for (const name of ['x', 'y']) {
      await provider.putObject(instance, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    const objects = provider.streamAllObjects(instance, CONFIG_MAP)[Symbol.asyncIterator]();
    assert.equal(((await objects.next()).value as { metadata: { name: string } }).metadata.name, 'a');
    await assert.rejects(
      provider.putObject(instance, makeObject({ name: 'boom', namespace: 'ns' })),
      ActorDiedError,
    );
    await waitFor(() => provider.instanceStatus(instance).status, 'the supervisor restarted the worker');
    // The new worker's first listing, held open under its first cursor: with cursors numbered from
    // 1 in every worker, the stale ConfigMap listing above went on with this one's Namespaces.
    const newer = provider.streamAllObjects(instance, { group: '', version: 'v1', kind: 'Namespace' });
    const namespaces = newer[Symbol.asyncIterator]();
    assert.equal(((await namespaces.next()).value as { metadata: { name: string } }).metadata.name, 'x');
    await assert.rejects(objects.next(), ActorDiedError);
    assert.equal(((await namespaces.next()).value as { metadata: { name: string } }).metadata.name, 'y');
  } finally {
    await cleanup();
  }
});

test('a listing whose worker died fails ActorDiedError even while the replacement is opening, and one cut by close() fails ClosedError', async () => {
  const { provider, instance, cleanup } = await slowListProvider(
    { delayMs: 0, openDelayMs: 400 },
    { supervisor: { backoffBaseMs: 0 } },
  );
  try {
    for (const name of ['a', 'b', 'c'])
      await provider.putObject(instance, makeObject({ name, namespace: 'ns' }));
    const objects = provider.streamAllObjects(instance, CONFIG_MAP)[Symbol.asyncIterator]();
    assert.equal((await objects.next()).done, false);
    await assert.rejects(
      provider.putObject(instance, makeObject({ name: 'boom', namespace: 'ns' })),
      ActorDiedError,
    );
    // The replacement worker is in its 400 ms open: before, the page reached it and failed as
    // STOWAGE_UNKNOWN_INSTANCE.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await assert.rejects(objects.next(), ActorDiedError);
    await waitFor(() => provider.instanceStatus(instance).status, 'the supervisor restarted the worker');
    const cut = provider.streamAllObjects(instance, CONFIG_MAP)[Symbol.asyncIterator]();
    assert.equal((await cut.next()).done, false);
    await provider.close();
    await assert.rejects(cut.next(), ClosedError);
  } finally {
    await cleanup();
  }
});

test(`past ${MAX_OPEN_LISTINGS} open listings the next waits; once one has been idle ${LISTING_IDLE_EVICT_MS} ms it is closed, typed, and the waiter goes on`, async () => {
  const openListings = new SharedArrayBuffer(4);
  const open = new Int32Array(openListings);
  const { provider, instance, cleanup } = await slowListProvider({ delayMs: 0, openListings });
  try {
    for (const name of ['a', 'b', 'c'])
      await provider.putObject(instance, makeObject({ name, namespace: 'ns' }));
    const listings = Array.from({ length: MAX_OPEN_LISTINGS + 1 }, () =>
      provider.streamAllObjects(instance, CONFIG_MAP)[Symbol.asyncIterator](),
    );
    let secondReadAt = 0;
    for (const [i, listing] of listings.slice(0, MAX_OPEN_LISTINGS).entries()) {
      assert.equal((await listing.next()).done, false);
      if (i === 1) secondReadAt = performance.now();
    }
    assert.equal(Atomics.load(open, 0), MAX_OPEN_LISTINGS);
    const waiting = listings.at(-1)!.next();
    // Reading keeps listings[0] the most recently read; listings[1] is now the idlest. Timed from
    // listings[1]'s read, not from the end of the loop, which a loaded machine can stretch past the
    // idle limit (once, under a forced collection every 100 ms, listings[0] was closed first).
    const halfIdle = secondReadAt + LISTING_IDLE_EVICT_MS / 2 - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, halfIdle)));
    assert.equal((await listings[0]!.next()).done, false);
    assert.equal(
      Atomics.load(open, 0),
      MAX_OPEN_LISTINGS,
      'nothing was closed before it had been idle long enough',
    );
    assert.equal((await waiting).done, false, 'the waiting listing went on once a slot was taken back');
    await assert.rejects(listings[1]!.next(), ListingExpiredError);
    assert.equal((await listings[0]!.next()).done, false, 'the others go on');
    assert.equal((await listings[2]!.next()).done, false, 'the others go on');
    await Promise.all(listings.map((listing) => listing.return?.()));
    await waitFor(() => Atomics.load(open, 0) === 0, 'every listing was closed in the worker');
  } finally {
    await cleanup();
  }
});

test(`more concurrent getAllObjects than ${MAX_OPEN_LISTINGS} listing slots all complete: the extra ones wait, none is closed under its reader`, async () => {
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'concurrent' }], { listPageSize: 16 });
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    for (let i = 0; i < 200; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          provider.putObject(instance, makeObject({ name: `o${i + j}`, namespace: 'ns' })),
        ),
      );
    }
    const lists = await Promise.all(
      Array.from({ length: MAX_OPEN_LISTINGS + 16 }, () => provider.getAllObjects(instance, CONFIG_MAP)),
    );
    for (const list of lists) assert.equal(list.length, 200);
  } finally {
    await provider.close();
  }
});

test(`a listing read slowly item by item is never taken for abandoned: ${MAX_OPEN_LISTINGS} slow readers all finish, and a listing waiting behind them runs after`, async () => {
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'slow-readers' }], { listPageSize: 16 });
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    for (let i = 0; i < 20; i++)
      await provider.putObject(instance, makeObject({ name: `o${i}`, namespace: 'ns' }));
    // Each reader takes 16 items at once in its first page, then works through them one every
    // 150 ms: 2.4 s past the page's arrival, well over the 1 s idle limit, yet always pulling.
    const readers = Array.from({ length: MAX_OPEN_LISTINGS }, async () => {
      let items = 0;
      for await (const _ of provider.streamAllObjects(instance, CONFIG_MAP)) {
        items++;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      return items;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiting = provider.getAllObjects(instance, CONFIG_MAP);
    assert.deepEqual(await Promise.all(readers), Array(MAX_OPEN_LISTINGS).fill(20));
    assert.equal((await waiting).length, 20);
  } finally {
    await provider.close();
  }
});

test('a page is bounded by bytes as well as by count: a listing of large objects fits a worker heap far smaller than a page of them', async () => {
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'large' }], {
    listPageSize: 256,
    // 48 objects of 1 MiB: one page of all of them, decoded, would not fit in 32 MiB.
    resourceLimits: { maxOldGenerationSizeMb: 32 },
    observer,
  });
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const big = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 48; i++) {
      await provider.putObject(instance, makeObject({ name: `big${i}`, namespace: 'ns', data: { big } }));
    }
    let seen = 0;
    for await (const object of provider.streamAllObjects(instance, CONFIG_MAP)) {
      assert.equal((object as unknown as { data: { big: string } }).data.big.length, big.length);
      seen++;
    }
    assert.equal(seen, 48);
    assert.deepEqual(observer.restarts, [], 'the worker was not restarted');
  } finally {
    await provider.close();
  }
});

test('abandoned listings never take the task slots a batch needs: a bad put after many is refused typed, the worker lives', async () => {
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'abandoned' }], { listPageSize: 1 });
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    for (const name of ['a', 'b']) await provider.putObject(instance, makeObject({ name, namespace: 'ns' }));
    const listings = Array.from({ length: 40 }, () =>
      provider.streamAllObjects(instance, CONFIG_MAP)[Symbol.asyncIterator](),
    );
    for (const listing of listings) await listing.next();
    // Abandoned together: a cancel task each would take every task slot the worker has.
    await Promise.all(listings.map((listing) => listing.return?.()));
    // Larger than the objects encoded on the caller's thread, so it is structured-cloned, and a
    // function fails that clone: a request the worker never received.
    const bad = makeObject({ name: 'bad', namespace: 'ns', data: { big: 'x'.repeat(10_000) } });
    (bad as unknown as { data: Record<string, unknown> }).data.fn = () => undefined;
    await assert.rejects(provider.putObject(instance, bad), InvalidObjectError);
    assert.equal(provider.instanceStatus(instance).status, true);
    assert.equal((await provider.getAllObjects(instance, CONFIG_MAP)).length, 2);
  } finally {
    await provider.close();
  }
});

test('an abandoned listing is closed in the worker even while the mailbox is full', async () => {
  const openListings = new SharedArrayBuffer(4);
  const open = new Int32Array(openListings);
  const { provider, instance, cleanup } = await slowListProvider(
    { delayMs: 0, putDelayMs: 300, openListings },
    { mailbox: { capacity: 1, concurrency: 1, policy: 'reject' } },
  );
  try {
    for (const key of ['ns/s1', 'ns/s2'])
      await provider.putRecord(instance, SECRET, key, new Uint8Array([7]));
    const objects = provider.streamAllObjects(instance, SECRET);
    await assert.rejects(
      (async () => {
        for await (const _ of objects) break;
      })(),
      ReservedGroupError,
    );
    for (const name of ['a', 'b']) await provider.putObject(instance, makeObject({ name, namespace: 'ns' }));
    const listing = provider.streamAllObjects(instance, CONFIG_MAP)[Symbol.asyncIterator]();
    await listing.next();
    assert.equal(Atomics.load(open, 0), 1);
    const slowPut = provider.putObject(instance, makeObject({ name: 'slow', namespace: 'ns' }));
    await listing.return?.();
    await waitFor(() => Atomics.load(open, 0) === 0, 'the abandoned listing was closed in the worker');
    await slowPut;
  } finally {
    await cleanup();
  }
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a record listing of many pages is observed as one get_all', async () => {
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'observed' }], { listPageSize: 2, observer });
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    for (let i = 0; i < 10; i++) await provider.putRecord(instance, SECRET, `ns/s${i}`, new Uint8Array([i]));
    const before = observer.completed;
    assert.equal((await provider.listRecords(instance, SECRET)).length, 10);
    assert.equal(observer.completed - before, 1);
  } finally {
    await provider.close();
  }
});

test('an error a dynamically loaded backend throws crosses from the worker with its class, code and details', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-typed-'));
  const provider = new RuntimeProvider(
    [{ kind: 'module', module: fixtureModule('typed-error-backend'), name: 'typed', options: { dir } }],
    { allowModuleBackends: true },
  );
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    await assert.rejects(provider.getObject(instance, CONFIG_MAP, 'ns/a'), (error: unknown) => {
      assert.ok(error instanceof S3UnreachableError, String(error));
      assert.equal(error.code, 'STOWAGE_S3_UNREACHABLE');
      assert.deepEqual(error.details, { operation: 'get', attempts: 3 });
      return true;
    });
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
});
