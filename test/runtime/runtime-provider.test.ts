import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ClosedError,
  InvalidObjectError,
  InvalidRuntimeConfigError,
  MachineId,
  NotInitializedError,
  ObjectTooLargeError,
  QueueFullError,
  UnknownInstanceError,
} from '../../src/index.js';
import type { RuntimeOptions } from '../../src/runtime/options.js';
import type { InstanceConfig } from '../../src/runtime/protocol.js';
import { INLINE_ENCODE_MAX_CHARS, RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { fixtureModule, RecordingObserver } from '../faults/runtime-harness.js';
import { makeObject } from '../helpers/objects.js';

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };

/** Runs `body` on a fresh provider over one instance, initialized, and closes the provider after. */
async function withProvider(
  config: InstanceConfig,
  options: RuntimeOptions,
  body: (provider: RuntimeProvider, instance: string) => Promise<void>,
): Promise<void> {
  const provider = new RuntimeProvider([config], options);
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    await body(provider, instance);
  } finally {
    await provider.close();
  }
}

describe('runtime provider facade', () => {
  test('configuration errors are typed and name the field', () => {
    const module = { kind: 'module', module: '/nowhere.js', name: 'x' } as const;
    assert.throws(
      () => new RuntimeProvider([module]),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRuntimeConfigError);
        assert.equal(error.details.field, 'kind');
        return true;
      },
    );
    assert.throws(
      () => new RuntimeProvider([], { mailbox: { capacity: 0 } }),
      (error: unknown) =>
        error instanceof InvalidRuntimeConfigError && error.details.field === 'mailbox.capacity',
    );
    for (const idleSpinMicros of [-1, 1.5]) {
      assert.throws(
        () => new RuntimeProvider([], { idleSpinMicros }),
        (error: unknown) =>
          error instanceof InvalidRuntimeConfigError && error.details.field === 'idleSpinMicros',
      );
    }
    assert.doesNotThrow(() => new RuntimeProvider([], { idleSpinMicros: 0 }));
    const memory = { kind: 'memory', name: 'same' } as const;
    assert.throws(() => new RuntimeProvider([memory, memory]), InvalidRuntimeConfigError);
  });

  test('before initialize, unknown instances, after close: typed errors; status answers at once', async () => {
    const provider = new RuntimeProvider([{ kind: 'memory', name: 'lifecycle' }]);
    const [instance] = provider.instances() as [string];
    assert.deepEqual(
      { ...provider.instanceStatus(instance) },
      { exists: true, status: false, meanPersistLatency: 0 },
    );
    await assert.rejects(provider.putObject(instance, makeObject({ name: 'a' })), NotInitializedError);
    await provider.initialize(MachineId.generate());
    await assert.rejects(provider.getObject('memory-000000000000', CONFIG_MAP, 'a'), UnknownInstanceError);
    await provider.putObject(instance, makeObject({ name: 'a' }));
    await provider.close();
    assert.equal(provider.instanceStatus(instance).status, false);
    await assert.rejects(provider.getObject(instance, CONFIG_MAP, 'a'), ClosedError);
    await provider.close();
  });

  test('an object that cannot be stored fails alone with InvalidObjectError, small or large; its batch-mates succeed', async () => {
    await withProvider({ kind: 'memory', name: 'clone' }, {}, async (provider, instance) => {
      // Small: encoded on the caller's thread, which refuses the function before anything is queued.
      const small = makeObject({ name: 'small', namespace: 'x', data: { fn: () => 1 } });
      // Large: past INLINE_ENCODE_MAX_CHARS before the function ("a" sorts first), so it is copied
      // instead of encoded; the copy refuses the function, also before anything is queued.
      const large = makeObject({
        name: 'large',
        namespace: 'x',
        data: { a: 'x'.repeat(INLINE_ENCODE_MAX_CHARS), fn: () => 1 },
      });
      const results = await Promise.allSettled([
        provider.putObject(instance, makeObject({ name: 'before', namespace: 'x' })),
        provider.putObject(instance, small),
        provider.putObject(instance, large),
        provider.putObject(instance, makeObject({ name: 'after', namespace: 'x' })),
      ]);
      assert.deepEqual(results[0], { status: 'fulfilled', value: 'x/before' });
      assert.deepEqual(results[3], { status: 'fulfilled', value: 'x/after' });
      for (const [i, name] of [
        [1, 'small'],
        [2, 'large'],
      ] as const) {
        assert.equal(results[i].status, 'rejected', name);
        const error = (results[i] as PromiseRejectedResult).reason;
        assert.ok(error instanceof InvalidObjectError, String(error));
        assert.equal(error.details.field, 'data.fn');
        assert.equal(await provider.getObject(instance, CONFIG_MAP, `x/${name}`), undefined);
      }
    });
  });

  test('a large object that cannot be stored is refused at the call; the puts around it land in order', async () => {
    // Two operations per batch. The bad object is refused before it is queued (plainCopy), so it
    // never shares a message with v1, and v2 still lands after v1.
    await withProvider({ kind: 'memory', name: 'order' }, { maxBatchOps: 2 }, async (provider, instance) => {
      const version = (v: string) => makeObject({ name: 'k', namespace: 'x', data: { v } });
      const bad = makeObject({
        name: 'bad',
        namespace: 'x',
        data: { a: 'x'.repeat(INLINE_ENCODE_MAX_CHARS), fn: () => 1 },
      });
      const results = await Promise.allSettled([
        provider.putObject(instance, version('v1')),
        provider.putObject(instance, bad),
        provider.putObject(instance, version('v2')),
        provider.putObject(instance, makeObject({ name: 'm', namespace: 'x' })),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, 'x/k'), version('v2'));
    });
  });

  test('a large object whose getter throws fails alone with InvalidObjectError at the call; the worker is not restarted', async () => {
    const observer = new RecordingObserver();
    await withProvider({ kind: 'memory', name: 'getter' }, { observer }, async (provider, instance) => {
      const data: Record<string, unknown> = { a: 'x'.repeat(INLINE_ENCODE_MAX_CHARS) };
      Object.defineProperty(data, 'z', {
        enumerable: true,
        get() {
          throw new TypeError('getter refuses');
        },
      });
      const results = await Promise.allSettled([
        provider.putObject(instance, makeObject({ name: 'innocent', namespace: 'x' })),
        provider.putObject(instance, makeObject({ name: 'bad', namespace: 'x', data })),
      ]);
      assert.deepEqual(results[0], { status: 'fulfilled', value: 'x/innocent' });
      assert.equal(results[1].status, 'rejected');
      const error = (results[1] as PromiseRejectedResult).reason;
      assert.ok(error instanceof InvalidObjectError, String(error));
      assert.match(error.message, /getter refuses/);
      await sleep(100);
      assert.deepEqual(observer.restarts, [], 'the worker never saw the object');
      assert.equal(provider.instanceStatus(instance).status, true);
    });
  });

  test("a store's busy seconds grow by most of the time its worker is kept busy, and hardly at all while it idles", async () => {
    await withProvider({ kind: 'memory', name: 'busy' }, {}, async (provider, instance) => {
      const busySeconds = () => provider.snapshot().instances[0]?.busySeconds ?? Number.NaN;
      const before = busySeconds();
      const started = performance.now();
      const until = started + 1200;
      await Promise.all(
        Array.from({ length: 64 }, async (_, w) => {
          for (let i = 0; performance.now() < until; i++) {
            await provider.putObject(instance, makeObject({ name: `o${w}-${i % 8}`, namespace: 'x' }));
          }
        }),
      );
      const loaded = busySeconds() - before;
      const elapsed = (performance.now() - started) / 1000;
      assert.ok(
        loaded > 0.5 * elapsed && loaded <= elapsed,
        `${loaded} s busy of ${elapsed} s under 64 callers`,
      );
      const idleFrom = busySeconds();
      assert.equal(busySeconds() >= idleFrom, true, 'a second read takes nothing away');
      await sleep(1100);
      const idle = busySeconds() - idleFrom;
      assert.ok(idle < 0.055, `${idle} s busy in 1.1 s idle but for the liveness probe`);
    });
  });

  test('objects on both sides of INLINE_ENCODE_MAX_CHARS are stored whole', async () => {
    await withProvider({ kind: 'memory', name: 'sizes' }, {}, async (provider, instance) => {
      const objects = [100, INLINE_ENCODE_MAX_CHARS - 300, INLINE_ENCODE_MAX_CHARS + 1, 100_000].map(
        (chars, i) => makeObject({ name: `o${i}`, namespace: 'x', data: { v: 'é'.repeat(chars) } }),
      );
      for (const object of objects) await provider.putObject(instance, object);
      for (const object of objects) {
        assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, `x/${object.metadata.name}`), object);
      }
    });
  });

  test('an idle worker spins out its window, and the next posted request ends the spin at once', async () => {
    // A 1 s window, so that spinning and not spinning differ far beyond a loaded machine's noise.
    await withProvider(
      { kind: 'memory', name: 'spin' },
      { idleSpinMicros: 1_000_000 },
      async (provider, instance) => {
        // 20 puts in a row: a worker that missed the posted-request counter would wait out the
        // window before each one, 20 s in all.
        const started = performance.now();
        for (let i = 0; i < 20; i++) await provider.putObject(instance, makeObject({ name: `s${i}` }));
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 5_000, `20 puts took ${Math.round(elapsed)} ms`);
        // Then idle: the worker polls on its own core for the window (process CPU counts every thread).
        const cpuBefore = process.cpuUsage();
        await sleep(1_200);
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        assert.ok(cpuMs > 300, `the idle second used ${Math.round(cpuMs)} ms of CPU`);
        assert.equal((await provider.getAllObjects(instance, CONFIG_MAP)).length, 20);
      },
    );
  });

  test("the worker's file index keeps each value in a buffer of its own, small or large", async () => {
    // A value kept as a view would pin the whole buffer behind it: for a small put that was a copy
    // of the caller's 64 KiB buffer-pool chunk, structured-cloned with it (src/objects/owned-bytes.ts).
    const dir = await mkdtemp(join(tmpdir(), 'stowage-owned-'));
    const module = fixtureModule('buffer-report-backend');
    const config: InstanceConfig = { kind: 'module', module, name: 'owned', options: { dir } };
    try {
      await withProvider(config, { allowModuleBackends: true }, async (provider, instance) => {
        const sizes = [10, 300, INLINE_ENCODE_MAX_CHARS + 1];
        // Concurrent puts share one batch message, as they would under load.
        await Promise.all(
          sizes.map((chars, i) =>
            provider.putObject(
              instance,
              makeObject({ name: `o${i}`, namespace: 'x', data: { v: 'y'.repeat(chars) } }),
            ),
          ),
        );
        for (let i = 0; i < sizes.length; i++) {
          const report = await provider.getObject(instance, CONFIG_MAP, `x/o${i}`);
          assert.ok(report, `o${i} reads back`);
          const { viewBytes, bufferBytes } = report.data as { viewBytes: string; bufferBytes: string };
          assert.ok(Number(viewBytes) > sizes[i]!, `o${i}: ${viewBytes} bytes stored`);
          assert.equal(bufferBytes, viewBytes, `o${i}: the stored view spans its buffer`);
        }
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('maxObjectBytes holds on both sides of INLINE_ENCODE_MAX_CHARS; the stored version stays', async () => {
    await withProvider(
      { kind: 'memory', name: 'limits' },
      { maxObjectBytes: 4096 },
      async (provider, instance) => {
        const stored = makeObject({ name: 'o', namespace: 'x', data: { v: 'small' } });
        await provider.putObject(instance, stored);
        // 3,000 characters, 6,000 bytes: refused on the caller's thread. 20,000: refused in the worker.
        for (const chars of [3000, 20_000]) {
          const tooLarge = makeObject({ name: 'o', namespace: 'x', data: { v: 'é'.repeat(chars) } });
          await assert.rejects(provider.putObject(instance, tooLarge), ObjectTooLargeError, `${chars}`);
        }
        assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, 'x/o'), stored);
      },
    );
  });

  test('each open reports to the observer the bytes of a torn tail it cut off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-torn-'));
    const config = { kind: 'file', dir } as const;
    const log = join(dir, 'log-0000000000.stow');
    try {
      let durableEnd = 0;
      await withProvider(config, {}, async (provider, instance) => {
        await provider.putObject(instance, makeObject({ name: 'a', namespace: 'x' }));
        durableEnd = (await stat(log)).size;
        await provider.putObject(instance, makeObject({ name: 'b', namespace: 'x' }));
      });
      const cut = (await stat(log)).size - 5;
      await truncate(log, cut);
      const observer = new RecordingObserver();
      const dropped: { backend: string; bytes: number }[] = [];
      observer.opened = (_store, backend, bytes) => {
        dropped.push({ backend, bytes });
      };
      await withProvider(config, { observer }, async (provider, instance) => {
        assert.ok(await provider.getObject(instance, CONFIG_MAP, 'x/a'));
        assert.equal(await provider.getObject(instance, CONFIG_MAP, 'x/b'), undefined);
      });
      assert.deepEqual(dropped, [{ backend: 'file', bytes: cut - durableEnd }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the observer gets worker-measured timings, queue waits and the snapshot reflects the actors', async () => {
    const events: { operation: string; seconds: number; backendSeconds?: number; errorCode?: string }[] = [];
    const observer = new RecordingObserver();
    let queueWaits = 0;
    observer.operationCompleted = (event) => {
      events.push(event);
    };
    observer.queueWaited = () => {
      queueWaits++;
    };
    const provider = new RuntimeProvider(
      [
        { kind: 'memory', name: 'observed-a' },
        { kind: 'memory', name: 'observed-b' },
      ],
      { observer, mailbox: { capacity: 7 } },
    );
    try {
      await provider.initialize(MachineId.generate());
      const [a] = provider.instances() as [string];
      await provider.putObject(a, makeObject({ name: 'o', namespace: 'x' }));
      await provider.getObject(a, CONFIG_MAP, 'x/o');
      await provider.getAllObjects(a, CONFIG_MAP);
      await assert.rejects(provider.getObject(a, CONFIG_MAP, 'x/../y'));
      assert.deepEqual(
        events.map((e) => e.operation),
        ['put', 'get', 'get_all'],
        'the invalid key failed on the main thread before reaching the mailbox',
      );
      for (const event of events.slice(0, 2)) {
        assert.ok(
          event.backendSeconds !== undefined && event.backendSeconds <= event.seconds,
          JSON.stringify(event),
        );
      }
      assert.equal(queueWaits, 3);
      const status = provider.instanceStatus(a);
      assert.ok(
        status.meanPersistLatency > 0 && status.meanPersistLatency < 10,
        `${status.meanPersistLatency} s`,
      );
      const snapshot = provider.snapshot();
      assert.equal(snapshot.workers, 2);
      assert.deepEqual(
        snapshot.instances.map((i) => [i.store, i.backend, i.up, i.queueDepth, i.queueCapacity, i.inFlight]),
        provider.instances().map((store) => [store, 'memory', true, 0, 7, 0]),
      );
      for (const { busySeconds } of snapshot.instances) assert.ok(busySeconds > 0, `${busySeconds} s busy`);
    } finally {
      await provider.close();
    }
    assert.equal(provider.snapshot().workers, 0);
  });

  test('calls refused because a store is not up count as its failures, an unknown store is not counted; a listing is timed by its pages, not its consumer', async () => {
    const events: { store: string; operation: string; seconds: number; errorCode?: string }[] = [];
    const observer = new RecordingObserver();
    observer.operationCompleted = (event) => {
      events.push(event);
    };
    const provider = new RuntimeProvider([{ kind: 'memory', name: 'refusals' }], { observer });
    const [instance] = provider.instances() as [string];
    try {
      await assert.rejects(provider.putObject(instance, makeObject({ name: 'a' })), NotInitializedError);
      await assert.rejects(provider.getObject('memory-000000000000', CONFIG_MAP, 'a'), UnknownInstanceError);
      assert.deepEqual(
        events.map((e) => [e.store, e.operation, e.errorCode]),
        [[instance, 'put', 'STOWAGE_NOT_INITIALIZED']],
      );
      await provider.initialize(MachineId.generate());
      for (const name of ['a', 'b', 'c'])
        await provider.putObject(instance, makeObject({ name, namespace: 'x' }));
      events.length = 0;
      const started = performance.now();
      for await (const _ of provider.streamAllObjects(instance, CONFIG_MAP)) await sleep(150);
      const consumed = (performance.now() - started) / 1000;
      const [listing] = events;
      assert.equal(listing?.operation, 'get_all');
      assert.ok(
        listing.seconds < consumed - 0.4,
        `the listing took ${listing.seconds} s of the ${consumed} s its consumer spent on it, 0.45 s of that asleep`,
      );
    } finally {
      await provider.close();
    }
  });

  test('close drains what was accepted before it, then refuses new work', async () => {
    const provider = new RuntimeProvider([{ kind: 'memory', name: 'drain' }]);
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const accepted = Array.from({ length: 500 }, (_, i) =>
      provider.putObject(instance, makeObject({ name: `d${i}`, namespace: 'drain' })),
    );
    const closing = provider.close();
    await assert.rejects(provider.putObject(instance, makeObject({ name: 'late' })), ClosedError);
    assert.equal((await Promise.all(accepted)).length, 500);
    await closing;
  });
});

test('a second close() resolves only when the first has finished: a signal handler and a finally may both await it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-double-close-'));
  const provider = new RuntimeProvider([{ kind: 'file', dir }]);
  await provider.initialize(MachineId.generate());
  const [instance] = provider.instances() as [string];
  await provider.putObject(instance, makeObject({ name: 'a', namespace: 'ns' }));
  let firstDone = false;
  const first = provider.close().then(() => {
    firstDone = true;
  });
  await provider.close();
  assert.equal(firstDone, true, 'the second close() resolved before the first had finished');
  await first;
  // The lock is released: a new provider opens the directory at once.
  const again = new RuntimeProvider([{ kind: 'file', dir }]);
  try {
    await again.initialize(MachineId.generate());
  } finally {
    await again.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a listing's later pages pass a full mailbox: only its first page is admitted against the capacity", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-list-full-'));
  const provider = new RuntimeProvider(
    [
      {
        kind: 'module',
        module: fixtureModule('slow-list-backend'),
        name: 'slow',
        options: { dir, delayMs: 0, putDelayMs: 100 },
      },
    ],
    {
      allowModuleBackends: true,
      listPageSize: 2,
      mailbox: { capacity: 2, concurrency: 1, policy: 'reject' },
    },
  );
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    for (let i = 0; i < 6; i++)
      await provider.putObject(instance, makeObject({ name: `o${i}`, namespace: 'n' }));
    const listing = provider.streamAllObjects(instance, CONFIG_MAP)[Symbol.asyncIterator]();
    await listing.next();
    await listing.next();
    // One put in flight for 100 ms and two queued: the mailbox is full.
    const puts = [0, 1, 2].map((i) =>
      provider.putObject(instance, makeObject({ name: `f${i}`, namespace: 'n' })).then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      ),
    );
    await assert.rejects(
      provider.putObject(instance, makeObject({ name: 'refused', namespace: 'n' })),
      QueueFullError,
    );
    // Before, this page was refused with QUEUE_FULL like a new call, and the listing died.
    const rest: string[] = [];
    for (let item = await listing.next(); !item.done; item = await listing.next()) {
      rest.push((item.value as { metadata: { name: string } }).metadata.name);
    }
    assert.equal(rest.length, 4);
    assert.deepEqual(await Promise.all(puts), ['ok', 'ok', 'ok']);
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
});
