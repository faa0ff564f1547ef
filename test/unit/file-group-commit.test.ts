import assert from 'node:assert/strict';
import fs, { constants } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_NAME_BYTES, MAX_VALUE_BYTES } from '../../src/backends/file/format.js';
import { defaultLogSync, logFlags, type OpenFile } from '../../src/backends/file/layout.js';
import { MAX_BATCH_BYTES } from '../../src/backends/file/log-writer.js';
import {
  ClosedError,
  ConfigError,
  FileBackend,
  type FileBackendOptions,
  gvk,
  InternalError,
  InvalidKeyError,
  LocalProvider,
  MachineId,
  type ObjectKey,
  ObjectTooLargeError,
} from '../../src/index.js';

const KIND = gvk('', 'v1', 'ConfigMap');

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface SyncLog {
  /** Records per writev call. */
  writes: number[];
  /** fdatasync calls, which the log does not need: it is opened O_DSYNC. */
  syncs: number;
  /** The flags each log file was opened with. */
  logFlags: (string | number)[];
  /** Resolved when a writev, done, reaches the gate. */
  entered: Deferred;
  gate: Deferred | null;
}

function syncLog(): SyncLog {
  return { writes: [], syncs: 0, logFlags: [], entered: deferred(), gate: null };
}

/** A FileHandle whose writev, once done, waits at a gate the test opens, and which counts its calls. */
function gatedOpen(log: SyncLog): OpenFile {
  return async (path, flags, mode) => {
    const handle = await open(path, flags, mode);
    // Only logs are counted: the open also writes and syncs the liveness probe's file.
    if (!/log-\d+\.stow$/.test(path)) return handle;
    log.logFlags.push(flags);
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'writev') {
          return async (buffers: Buffer[], position: number) => {
            // At offset 0 a new log's file header is written, not a batch.
            if (position === 0) return target.writev(buffers, position);
            // The batch header's record count; the first buffer starts with the header.
            log.writes.push((buffers[0] as Buffer).readUInt32LE(12));
            const result = await target.writev(buffers, position);
            log.entered.resolve();
            await log.gate?.promise;
            return result;
          };
        }
        if (property === 'datasync') {
          return () => {
            log.syncs++;
            return target.datasync();
          };
        }
        const member = Reflect.get(target, property, target);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    }) as FileHandle;
  };
}

test('writes that arrive while a batch is written go out together as one durable writev, each resolving only once it returns', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const log = syncLog();
  const backend = new FileBackend(join(root, 'instance'), { openFile: gatedOpen(log) });
  try {
    await backend.open(MachineId.generate());
    log.writes.length = 0;
    log.syncs = 0;
    log.entered = deferred();
    log.gate = deferred();
    const resolved: number[] = [];
    const first = backend
      .put(KIND, 'default/first' as ObjectKey, Buffer.from('"first"'))
      .then(() => resolved.push(0));
    await log.entered.promise;
    const rest = Array.from({ length: 50 }, (_, i) =>
      backend.put(KIND, `default/k${i}` as ObjectKey, Buffer.from(`"${i}"`)).then(() => resolved.push(i + 1)),
    );
    rest.push(backend.delete(KIND, 'default/first' as ObjectKey).then(() => resolved.push(51)));
    // Reads submitted now come after the delete: they wait for it, and answer as of it.
    const readFirst = backend.get(KIND, 'default/first' as ObjectKey).then((value) => {
      resolved.push(100);
      return value;
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(resolved, [], 'nothing resolves before its batch is durable, reads included');

    const gate = log.gate;
    log.gate = null;
    gate.resolve();
    await first;
    await Promise.all(rest);
    assert.equal(await readFirst, undefined, 'the read answered as of the delete submitted before it');
    const order = resolved as number[];
    assert.ok(order.indexOf(100) > order.indexOf(51), 'the read completed after the delete');
    assert.deepEqual(log.writes, [1, 51], 'the 51 waiting writes form one batch');
    assert.equal(log.syncs, 0, 'no fdatasync: each writev was durable when it returned');
    assert.equal(resolved[0], 0);
    assert.equal(resolved.length, 53);
    assert.equal(
      await backend.get(KIND, 'default/first' as ObjectKey),
      undefined,
      'the delete applied after the put',
    );
    assert.equal(Buffer.from((await backend.get(KIND, 'default/k7' as ObjectKey))!).toString(), '"7"');
  } finally {
    await backend.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('logSync o_dsync (the default on Linux): a log is opened O_DSYNC, created or reopened, and never fdatasynced', async () => {
  const log = await createThenReopen({});
  assert.deepEqual(log.logFlags, [logFlags('o_dsync').created, logFlags('o_dsync').existing]);
  for (const flags of log.logFlags) assert.equal(Number(flags) & constants.O_DSYNC, constants.O_DSYNC);
  assert.deepEqual(log.writes, [1, 1]);
  assert.equal(log.syncs, 0, 'no fdatasync on the log');
  assert.equal(log.reported, 'o_dsync', 'stats() reports it');
});

test('logSync fdatasync: a log is opened without O_DSYNC, and its header and each batch are fdatasynced', async () => {
  const log = await createThenReopen({ logSync: 'fdatasync' });
  assert.deepEqual(log.logFlags, [logFlags('fdatasync').created, logFlags('fdatasync').existing]);
  for (const flags of log.logFlags) assert.equal(Number(flags) & constants.O_DSYNC, 0);
  assert.deepEqual(log.writes, [1, 1]);
  assert.equal(log.syncs, 3, 'the header, then each of the two batches');
  assert.equal(log.reported, 'fdatasync', 'stats() reports it');
});

test('off Linux the default is fdatasync, and o_dsync, which would be weaker there, is refused with a typed error', async () => {
  const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
  Object.defineProperty(process, 'platform', { ...platform, value: 'darwin' });
  try {
    assert.equal(defaultLogSync(), 'fdatasync');
    assert.throws(
      () => new FileBackend('/nonexistent/stowage', { logSync: 'o_dsync' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.details.field, 'logSync');
        assert.match(error.message, /Linux only, not on darwin/);
        return true;
      },
    );
  } finally {
    Object.defineProperty(process, 'platform', platform);
  }
  assert.equal(defaultLogSync(), 'o_dsync', 'on Linux');
});

/**
 * Creates an instance with `options`, puts one value, closes, reopens, puts another. What went
 * through the handles, and the logSync stats() reported.
 */
async function createThenReopen(options: FileBackendOptions): Promise<SyncLog & { reported: string }> {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const log = syncLog();
  const dir = join(root, 'instance');
  let reported = '';
  try {
    for (let round = 0; round < 2; round++) {
      const backend = new FileBackend(dir, { ...options, openFile: gatedOpen(log) });
      await backend.open(MachineId.generate());
      await backend.put(KIND, `default/k${round}` as ObjectKey, Buffer.from('"v"'));
      reported = backend.stats().logSync;
      await backend.close();
    }
    return { ...log, reported };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('3,000 puts of one turn go out as one batch, one writev, and read back after a reopen', async () => {
  await thousandsInOneTurn({}, (log) => {
    assert.deepEqual(log.writes, [3000], 'one batch');
    assert.equal(log.syncs, 0, 'and no fdatasync');
  });
});

for (const logSync of ['o_dsync', 'fdatasync'] as const) {
  test(`blocking I/O, logSync ${logSync}: 3,000 puts of one turn bypass the thread pool and read back after a reopen`, async () => {
    // The blocking calls bypass the FileHandle, so fdatasyncSync itself is counted.
    const fdatasyncSync = fs.fdatasyncSync;
    let blockingSyncs = 0;
    fs.fdatasyncSync = (fd) => {
      blockingSyncs++;
      fdatasyncSync(fd);
    };
    syncBuiltinESMExports();
    try {
      await thousandsInOneTurn({ blockingIo: true, logSync }, (log, backend, diskBytesBefore) => {
        assert.deepEqual(log.writes, [], 'the FileHandle never wrote: the writes were blocking calls');
        assert.equal(log.syncs, 0, 'nor synced');
        assert.equal(blockingSyncs, logSync === 'fdatasync' ? 1 : 0, 'one batch');
        assert.ok(backend.stats().diskBytes > diskBytesBefore + 3000 * 20);
      });
    } finally {
      fs.fdatasyncSync = fdatasyncSync;
      syncBuiltinESMExports();
    }
  });
}

/**
 * 3,000 puts in one turn on a FileBackend with `options`, its files opened through gatedOpen();
 * `check` sees what went through the FileHandle; then every value must read back after a reopen.
 */
async function thousandsInOneTurn(
  options: FileBackendOptions,
  check: (log: SyncLog, backend: FileBackend, diskBytesBefore: number) => void,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const log = syncLog();
  const dir = join(root, 'instance');
  try {
    const backend = new FileBackend(dir, { ...options, openFile: gatedOpen(log) });
    await backend.open(MachineId.generate());
    // Creating the log wrote its header through the handle.
    log.writes.length = 0;
    log.syncs = 0;
    const before = backend.stats().diskBytes;
    await putThousandsInOneTurn(backend);
    check(log, backend, before);
    await backend.close();
    await assertThousandsReadBack(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const thousandsValue = (i: number) => Buffer.from(JSON.stringify({ i, pad: 'p'.repeat(i % 300) }));

/** Submitted in one turn, so they form one group-commit batch. */
async function putThousandsInOneTurn(backend: FileBackend): Promise<void> {
  await Promise.all(
    Array.from({ length: 3000 }, (_, i) =>
      backend.put(KIND, `default/k${i}` as ObjectKey, thousandsValue(i)),
    ),
  );
}

async function assertThousandsReadBack(dir: string): Promise<void> {
  const reopened = new FileBackend(dir);
  await reopened.open(MachineId.generate());
  try {
    assert.equal(reopened.recovery().droppedBytes, 0);
    for (let i = 0; i < 3000; i++) {
      assert.deepEqual(await reopened.get(KIND, `default/k${i}` as ObjectKey), thousandsValue(i), `k${i}`);
    }
  } finally {
    await reopened.close();
  }
}

test('writes waiting past MAX_BATCH_BYTES go out in several batches, a larger record alone, and all read back after a reopen', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const log = syncLog();
  const dir = join(root, 'instance');
  const mib = 1024 * 1024;
  // 20 values of 1 MiB, one of 9 MiB (over the cap by itself), 3 small ones.
  const sizes = [...Array.from({ length: 20 }, () => mib), 9 * mib, 10, 10, 10];
  const value = (i: number) => Buffer.alloc(sizes[i]!, 0x61 + (i % 26));
  try {
    const backend = new FileBackend(dir, { openFile: gatedOpen(log) });
    await backend.open(MachineId.generate());
    log.writes.length = 0;
    log.gate = deferred();
    log.entered = deferred();
    const first = backend.put(KIND, 'default/first' as ObjectKey, Buffer.from('"first"'));
    await log.entered.promise;
    const rest = sizes.map((_, i) => backend.put(KIND, `default/k${i}` as ObjectKey, value(i)));
    const gate = log.gate;
    log.gate = null;
    gate.resolve();
    await Promise.all([first, ...rest]);
    // 7 records of 1 MiB and their heads fit in 8 MiB, 8 do not.
    assert.deepEqual(log.writes, [1, 7, 7, 6, 1, 3]);
    assert.equal(MAX_BATCH_BYTES, 8 * mib);
    await backend.close();
    const reopened = new FileBackend(dir);
    await reopened.open(MachineId.generate());
    try {
      assert.equal(reopened.recovery().droppedBytes, 0);
      for (let i = 0; i < sizes.length; i++) {
        assert.ok(
          Buffer.from((await reopened.get(KIND, `default/k${i}` as ObjectKey))!).equals(value(i)),
          `k${i}`,
        );
      }
    } finally {
      await reopened.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/**
 * Runs `body` on an open FileBackend that holds "kept" at default/a, with the log's size before
 * `body`; afterwards "kept" must still read back, whatever `body` tried.
 */
async function withKeptValue(
  body: (backend: FileBackend, diskBytes: number) => Promise<void>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const backend = new FileBackend(join(root, 'instance'));
  try {
    await backend.open(MachineId.generate());
    await backend.put(KIND, 'default/a' as ObjectKey, Buffer.from('"kept"'));
    await body(backend, backend.stats().diskBytes);
    assert.equal(Buffer.from((await backend.get(KIND, 'default/a' as ObjectKey))!).toString(), '"kept"');
  } finally {
    await backend.close();
    await rm(root, { recursive: true, force: true });
  }
}

test("a value over the file format's 32-bit lengths is refused with a typed error, and nothing is written", async () => {
  await withKeptValue(async (backend, diskBytes) => {
    // A real buffer this large would take 4 GiB; only its length is read before the refusal.
    const huge = new Uint8Array(1);
    Object.defineProperty(huge, 'byteLength', { value: MAX_VALUE_BYTES + 1 });
    await assert.rejects(backend.put(KIND, 'default/a' as ObjectKey, huge), (error: unknown) => {
      assert.ok(error instanceof ObjectTooLargeError);
      assert.equal(error.details.limit, MAX_VALUE_BYTES);
      return true;
    });
    assert.equal(backend.stats().diskBytes, diskBytes);
  });
});

test("a key over the file format's 16-bit name length is refused with a typed error, and nothing is written", async () => {
  await withKeptValue(async (backend, diskBytes) => {
    // 30,000 characters of 3 UTF-8 bytes each: short in UTF-16, over the limit in bytes.
    const long = `default/${'€'.repeat(30_000)}` as ObjectKey;
    await assert.rejects(backend.put(KIND, long, Buffer.from('"x"')), (error: unknown) => {
      assert.ok(error instanceof InvalidKeyError);
      assert.ok((error.details.bytes as number) > MAX_NAME_BYTES);
      return true;
    });
    assert.equal(backend.stats().diskBytes, diskBytes);
    assert.equal(await backend.delete(KIND, long), false, 'never stored, so nothing to delete');
    // The longest key that fits is stored and reads back.
    const longest = `d/${'k'.repeat(MAX_NAME_BYTES - 2)}` as ObjectKey;
    await backend.put(KIND, longest, Buffer.from('"fits"'));
    assert.equal(Buffer.from((await backend.get(KIND, longest))!).toString(), '"fits"');
  });
});

test('a key holding a lone surrogate is refused with a typed error, since UTF-8 could not store it exactly', async () => {
  await withKeptValue(async (backend, diskBytes) => {
    for (const key of ['default/a\uD800', 'default/a\uDBFF', 'default/\uDC00b']) {
      await assert.rejects(backend.put(KIND, key as ObjectKey, Buffer.from('"x"')), InvalidKeyError);
    }
    assert.equal(backend.stats().diskBytes, diskBytes);
    // A well-formed pair is fine.
    await backend.put(KIND, 'default/\uD83D\uDE00' as ObjectKey, Buffer.from('"pair"'));
  });
});

for (const blockingIo of [false, true]) {
  test(`${blockingIo ? 'blocking' : 'thread-pool'} I/O: a value detached before its batch is written fails its batch with a typed error, and the writer goes on`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
    const dir = join(root, 'instance');
    try {
      const backend = new FileBackend(dir, { blockingIo });
      await backend.open(MachineId.generate());
      const value = new Uint8Array(new ArrayBuffer(16)).fill(0x41);
      const doomed = backend.put(KIND, 'default/doomed' as ObjectKey, value);
      // Against put()'s contract: the caller gives its buffer away before the batch is encoded.
      structuredClone(value.buffer, { transfer: [value.buffer] });
      await assert.rejects(doomed, (error: unknown) => {
        assert.ok(error instanceof InternalError);
        assert.equal(error.code, 'STOWAGE_INTERNAL');
        return true;
      });
      await backend.put(KIND, 'default/next' as ObjectKey, Buffer.from('"next"'));
      await backend.close();
      const reopened = new FileBackend(dir);
      await reopened.open(MachineId.generate());
      try {
        assert.equal(await reopened.get(KIND, 'default/doomed' as ObjectKey), undefined);
        assert.equal(
          Buffer.from((await reopened.get(KIND, 'default/next' as ObjectKey))!).toString(),
          '"next"',
        );
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}

test("a batch that fails to encode right after a durable one leaves that one's answers intact: its delete reports the key existed", async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const log = syncLog();
  const backend = new FileBackend(join(root, 'instance'), { openFile: gatedOpen(log) });
  try {
    await backend.open(MachineId.generate());
    await backend.put(KIND, 'default/target' as ObjectKey, Buffer.from('"t"'));
    log.entered = deferred();
    log.gate = deferred();
    const deleted = backend.delete(KIND, 'default/target' as ObjectKey);
    // The delete's batch is written and held at the gate; this put forms the next batch, and its
    // buffer is given away before that batch is encoded, which then fails synchronously.
    await log.entered.promise;
    const value = new Uint8Array(new ArrayBuffer(16)).fill(0x41);
    const doomed = backend.put(KIND, 'default/doomed' as ObjectKey, value);
    structuredClone(value.buffer, { transfer: [value.buffer] });
    log.gate.resolve();
    await assert.rejects(doomed, InternalError);
    assert.equal(await deleted, true, 'the key existed when the delete was made');
    assert.equal(await backend.get(KIND, 'default/target' as ObjectKey), undefined);
  } finally {
    log.gate = null;
    await backend.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('a delete issued while an earlier delete of the key is durable but not yet settled completes after it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const backend = new FileBackend(join(root, 'instance'));
  try {
    await backend.open(MachineId.generate());
    await backend.put(KIND, 'default/target' as ObjectKey, Buffer.from('"t"'));
    const order: string[] = [];
    // 40 puts ahead of the delete in one batch: settling goes 32 per turn, so the delete is durable
    // and applied to the index a turn before it resolves.
    const puts = Array.from({ length: 40 }, (_, i) =>
      backend.put(KIND, `default/k${i}` as ObjectKey, Buffer.from('"x"')),
    );
    const first = backend.delete(KIND, 'default/target' as ObjectKey).then((existed) => {
      order.push(`first ${existed}`);
    });
    let second: Promise<void> | undefined;
    void puts[0]!.then(() => {
      second = backend.delete(KIND, 'default/target' as ObjectKey).then((existed) => {
        order.push(`second ${existed}`);
      });
    });
    await Promise.all([...puts, first]);
    await second;
    assert.deepEqual(order, ['first true', 'second false']);
  } finally {
    await backend.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('close() during open() leaves no lock behind, and every close() call waits for the whole close', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const dir = join(root, 'instance');
  try {
    const racing = new FileBackend(dir);
    const opening = racing.open(MachineId.generate());
    await racing.close();
    await assert.rejects(opening, ClosedError);
    await assert.rejects(stat(join(dir, 'LOCK')), { code: 'ENOENT' }, 'the lock the open took is released');

    const backend = new FileBackend(dir);
    await backend.open(MachineId.generate());
    const put = backend.put(KIND, 'default/a' as ObjectKey, Buffer.from('"a"'));
    const firstClose = backend.close();
    await backend.close();
    await assert.rejects(
      stat(join(dir, 'LOCK')),
      { code: 'ENOENT' },
      'the second close resolved only after the lock was gone',
    );
    await put;
    await firstClose;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('LocalProvider: close() during initialize() releases the lock the open took; initialize() after close() is ClosedError', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const dir = join(root, 'instance');
  try {
    const provider = new LocalProvider([{ name: 'file-test', backend: new FileBackend(dir) }]);
    const initializing = provider.initialize(MachineId.generate());
    await provider.close();
    await assert.rejects(initializing);
    await assert.rejects(stat(join(dir, 'LOCK')), { code: 'ENOENT' });
    await assert.rejects(provider.initialize(MachineId.generate()), ClosedError);
    await assert.rejects(stat(join(dir, 'LOCK')), { code: 'ENOENT' }, 'nothing was opened after close');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('LocalProvider: concurrent initialize() calls share one open; an instance named twice is a config error', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  try {
    const backend = new FileBackend(join(root, 'instance'));
    let opens = 0;
    const realOpen = backend.open.bind(backend);
    backend.open = (machineId) => {
      opens++;
      return realOpen(machineId);
    };
    const provider = new LocalProvider([{ name: 'file-test', backend }]);
    const machineId = MachineId.generate();
    await Promise.all([provider.initialize(machineId), provider.initialize(machineId)]);
    assert.equal(opens, 1);
    assert.equal(provider.instanceStatus('file-test').status, true);
    await provider.close();
    assert.throws(
      () =>
        new LocalProvider([
          { name: 'file-x', backend: new FileBackend(join(root, 'x')) },
          { name: 'file-x', backend: new FileBackend(join(root, 'y')) },
        ]),
      (error: unknown) => error instanceof ConfigError && error.details.field === 'instances',
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('an instance directory several levels deep is created, opened, and holds its writes across a reopen', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-group-'));
  const dir = join(root, 'a', 'b', 'instance');
  try {
    const backend = new FileBackend(dir);
    await backend.open(MachineId.generate());
    await backend.put(KIND, 'default/a' as ObjectKey, Buffer.from('"a"'));
    await backend.close();
    const reopened = new FileBackend(dir);
    await reopened.open(MachineId.generate());
    assert.equal(Buffer.from((await reopened.get(KIND, 'default/a' as ObjectKey))!).toString(), '"a"');
    await reopened.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
