import assert from 'node:assert/strict';
import { type FileHandle, mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultLogSync, logFlags, type OpenFile } from '../../src/backends/file/layout.js';
import { ConfigError } from '../../src/errors/config-errors.js';
import {
  FileBackend,
  type FileBackendOptions,
  FileIoError,
  gvk,
  InvalidGvkError,
  LocalProvider,
  MachineId,
  type ObjectKey,
  ObjectTooLargeError,
  TooManyObjectsError,
} from '../../src/index.js';
import { makeObject, makeSizedObject } from '../helpers/objects.js';

const KIND = gvk('', 'v1', 'ConfigMap');
const KEY = 'default/item' as ObjectKey;

let root: string;
let dirs = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-failure-'));
});
after(() => rm(root, { recursive: true, force: true }));

/**
 * How many of the next calls to each FileHandle method fail with an injected EIO. `landedWritev`
 * is a writev whose bytes reach the file before it fails, as an O_DSYNC write whose sync fails does.
 */
interface Faults {
  close?: number;
  writev?: number;
  landedWritev?: number;
  datasync?: number;
  truncate?: number;
}

const injected = (what: string) => Object.assign(new Error(`EIO: injected ${what} failure`), { code: 'EIO' });

/** Opens real files whose handles fail on demand, as a dying disk or a full filesystem would. */
function faultyOpen(faults: Faults): OpenFile {
  return async (path, flags, mode) => {
    const handle = await open(path, flags, mode);
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'writev' && (faults.landedWritev ?? 0) > 0) {
          return async (buffers: Buffer[], position: number) => {
            faults.landedWritev! -= 1;
            await target.writev(buffers, position);
            throw injected('sync');
          };
        }
        if (property === 'close' && (faults.close ?? 0) > 0) {
          // Linux's close(2) releases the descriptor even when it reports EIO; keeping it open
          // would leave a handle for the garbage collector to close, which Node 26 makes an
          // uncaught error in whatever test is running then.
          return async () => {
            faults.close! -= 1;
            await target.close();
            throw injected('close');
          };
        }
        if (typeof property === 'string' && (faults[property as keyof Faults] ?? 0) > 0) {
          return async () => {
            faults[property as keyof Faults]! -= 1;
            throw injected(property);
          };
        }
        const member = Reflect.get(target, property, target);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    }) as FileHandle;
  };
}

async function opened(dir: string, options: FileBackendOptions = {}): Promise<FileBackend> {
  const backend = new FileBackend(dir, options);
  await backend.open(MachineId.generate());
  return backend;
}

const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString() : undefined);

test('a put rejected for its size leaves the previous version intact, also after reopening', async () => {
  const dir = join(root, `dir-${dirs++}`);
  const instance = 'file-test';
  const open = async () => {
    const provider = new LocalProvider([{ name: instance, backend: new FileBackend(dir) }], {
      maxObjectBytes: 4096,
    });
    await provider.initialize(MachineId.generate());
    return provider;
  };
  const provider = await open();
  const small = makeObject({ name: 'item', namespace: 'default', data: { v: 1 } });
  await provider.putObject(instance, small);
  await assert.rejects(
    provider.putObject(instance, makeSizedObject('item', 5000, 'default')),
    ObjectTooLargeError,
  );
  assert.deepEqual(await provider.getObject(instance, KIND, KEY), small);
  await provider.close();
  const reopened = await open();
  assert.deepEqual(await reopened.getObject(instance, KIND, KEY), small);
  await reopened.close();
});

const writeFaults = [
  { fault: 'writev', logSync: 'o_dsync', what: 'O_DSYNC write' },
  { fault: 'landedWritev', logSync: 'o_dsync', what: 'O_DSYNC write (failing after its bytes landed)' },
  { fault: 'writev', logSync: 'fdatasync', what: 'write' },
  { fault: 'datasync', logSync: 'fdatasync', what: 'fdatasync' },
] as const;
for (const { fault, logSync, what } of writeFaults) {
  test(`a put whose ${what} fails is rejected, leaves the previous version intact, and later writes work`, async () => {
    const dir = join(root, `dir-${dirs++}`);
    const faults: Faults = {};
    const backend = await opened(dir, { logSync, openFile: faultyOpen(faults) });
    await backend.put(KIND, KEY, Buffer.from('"v1"'));
    faults[fault] = 1;
    const failed = await Promise.allSettled([
      backend.put(KIND, KEY, Buffer.from('"v2"')),
      backend.put(KIND, 'default/other' as ObjectKey, Buffer.from('"new"')),
    ]);
    for (const result of failed) {
      assert.equal(result.status, 'rejected');
      assert.ok(result.reason instanceof FileIoError, String(result.reason));
      assert.equal(result.reason.details.errno, 'EIO');
    }
    assert.equal(text(await backend.get(KIND, KEY)), '"v1"');
    assert.equal(await backend.get(KIND, 'default/other' as ObjectKey), undefined);
    assert.equal(faults[fault], 0, 'exactly one call failed');
    await backend.put(KIND, 'default/after' as ObjectKey, Buffer.from('"after"'));
    await backend.close();

    const reopened = await opened(dir);
    assert.equal(text(await reopened.get(KIND, KEY)), '"v1"', 'the failed write did not reach the log');
    assert.equal(await reopened.get(KIND, 'default/other' as ObjectKey), undefined);
    assert.equal(text(await reopened.get(KIND, 'default/after' as ObjectKey)), '"after"');
    assert.equal(
      reopened.recovery().droppedBytes,
      0,
      'the failed batch was cut off, not left as a torn tail',
    );
    await reopened.close();
  });
}

for (const blockingIo of [false, true]) {
  const io = blockingIo ? 'blocking' : 'thread-pool';
  test(`${io} I/O: a log the kernel will not write (opened read-only) fails each put with FileIoError; nothing stored is lost`, async () => {
    const dir = join(root, `dir-${dirs++}`);
    const first = await opened(dir, { blockingIo });
    await first.put(KIND, KEY, Buffer.from('"v1"'));
    await first.close();
    // The existing log is reopened for reading and writing; handing back a read-only descriptor makes every write
    // fail in the kernel (EBADF), and so does cutting the log back afterwards.
    const readOnlyLog: OpenFile = (path, flags, mode) =>
      open(
        path,
        /log-\d+\.stow$/.test(path) && flags === logFlags(defaultLogSync()).existing ? 'r' : flags,
        mode,
      );
    const backend = await opened(dir, { blockingIo, openFile: readOnlyLog });
    assert.equal(backend.stats().io, io);
    await assert.rejects(backend.put(KIND, KEY, Buffer.from('"v2"')), (error: unknown) => {
      assert.ok(error instanceof FileIoError, String(error));
      assert.equal(error.details.errno, 'EBADF');
      return true;
    });
    await assert.rejects(backend.put(KIND, KEY, Buffer.from('"v3"')), (error: unknown) => {
      assert.ok(error instanceof FileIoError, String(error));
      assert.equal(error.details.op, 'rollback', 'the log could not be cut back, so it takes no more writes');
      // The write's errno, and the truncation's own beside it.
      assert.deepEqual([error.details.errno, error.details.rollbackErrno], ['EBADF', 'EINVAL']);
      return true;
    });
    assert.equal(text(await backend.get(KIND, KEY)), '"v1"');
    await backend.close();

    const reopened = await opened(dir);
    assert.equal(text(await reopened.get(KIND, KEY)), '"v1"');
    assert.equal(reopened.recovery().droppedBytes, 0);
    await reopened.close();
  });
}

test('a kind at maxObjectsPerKind refuses new objects, typed and before writing, and still takes overwrites', async () => {
  const dir = join(root, `dir-${dirs++}`);
  const bytes = (v: number) => Buffer.from(JSON.stringify({ v }));
  const backend = new FileBackend(dir, { maxObjectsPerKind: 3 });
  await backend.open(MachineId.generate());
  try {
    for (const name of ['a', 'b', 'c']) await backend.put(KIND, `default/${name}` as ObjectKey, bytes(1));
    await assert.rejects(backend.put(KIND, 'default/d' as ObjectKey, bytes(1)), (error: unknown) => {
      assert.ok(error instanceof TooManyObjectsError);
      assert.deepEqual(error.details, { gvk: 'core/v1/ConfigMap', limit: 3 });
      return true;
    });
    await backend.put(KIND, 'default/a' as ObjectKey, bytes(2));
    await backend.put(gvk('apps', 'v1', 'Deployment'), 'default/d' as ObjectKey, bytes(1));
    await backend.delete(KIND, 'default/b' as ObjectKey);
    await backend.put(KIND, 'default/d' as ObjectKey, bytes(1));
  } finally {
    await backend.close();
  }
  const reopened = new FileBackend(dir);
  await reopened.open(MachineId.generate());
  const keys: string[] = [];
  for await (const record of reopened.list(KIND)) keys.push(record.key);
  assert.deepEqual(keys.sort(), ['default/a', 'default/c', 'default/d']);
  await reopened.close();
  for (const maxObjectsPerKind of [0, 2 ** 24, 1.5]) {
    assert.throws(() => new FileBackend(dir, { maxObjectsPerKind }), ConfigError, String(maxObjectsPerKind));
  }
});

test('FileBackend.put refuses a GVK its kinds() could not read back, so dump, copy and verify keep working', async () => {
  const dir = join(root, `dir-${dirs++}`);
  const backend = new FileBackend(dir);
  await backend.open(MachineId.generate());
  try {
    await backend.put(KIND, KEY, Buffer.from('{}'));
    const malformed = [
      { group: 'Core', version: 'v1', kind: 'X' },
      { group: 'a/b', version: 'v1', kind: 'X' },
      { group: '', version: 'v1', kind: 'A/B' },
      // Spelled as the core group's records are: it would have shared them.
      { group: 'core', version: 'v1', kind: 'ConfigMap' },
    ];
    for (const bad of malformed) {
      await assert.rejects(backend.put(bad, KEY, Buffer.from('{}')), InvalidGvkError, JSON.stringify(bad));
    }
    // Before, one such put failed kinds() with STOWAGE_INVALID_GVK from then on.
    assert.deepEqual(await backend.kinds(), [KIND]);
    // Nor do reads and deletes naming group core reach the core group's records (a delete did).
    const core = { group: 'core', version: 'v1', kind: 'ConfigMap' };
    await assert.rejects(backend.get(core, KEY), InvalidGvkError);
    await assert.rejects(backend.delete(core, KEY), InvalidGvkError);
    await assert.rejects(backend.list(core)[Symbol.asyncIterator]().next(), InvalidGvkError);
    assert.ok(await backend.get(KIND, KEY));
  } finally {
    await backend.close();
  }
});

test('when the log cannot even be cut back, the backend refuses every later write and fails its probe', async () => {
  const dir = join(root, `dir-${dirs++}`);
  const faults: Faults = {};
  const backend = await opened(dir, { openFile: faultyOpen(faults) });
  await backend.put(KIND, KEY, Buffer.from('"v1"'));
  faults.landedWritev = 1;
  faults.truncate = 1;
  await assert.rejects(backend.put(KIND, KEY, Buffer.from('"v2"')), FileIoError);
  assert.deepEqual(faults, { landedWritev: 0, truncate: 0 });
  await assert.rejects(backend.put(KIND, KEY, Buffer.from('"v3"')), (error: unknown) => {
    assert.ok(error instanceof FileIoError);
    assert.equal(error.details.op, 'rollback');
    return true;
  });
  await assert.rejects(backend.probe(), FileIoError);
  assert.equal(text(await backend.get(KIND, KEY)), '"v1"', 'reads still serve the last durable version');
  await backend.close();
});

test('LocalProvider reports an instance down once its file writer refuses writes until reopened; reads still serve', async () => {
  const faults: Faults = {};
  const backend = new FileBackend(join(root, `dir-${dirs++}`), { openFile: faultyOpen(faults) });
  const provider = new LocalProvider([{ name: 'broken', backend }]);
  await provider.initialize(MachineId.generate());
  try {
    const kept = makeObject({ name: 'kept', namespace: 'default' });
    await provider.putObject('broken', kept);
    assert.equal(provider.instanceStatus('broken').status, true);
    assert.equal(backend.writesRefused(), undefined);
    // The batch's bytes land, its sync fails, and so does cutting them off again.
    faults.landedWritev = 1;
    faults.truncate = 1;
    await assert.rejects(
      provider.putObject('broken', makeObject({ name: 'lost', namespace: 'default' })),
      FileIoError,
    );
    assert.equal(backend.writesRefused()?.details.op, 'rollback');
    assert.equal(provider.instanceStatus('broken').status, false, 'down: nothing here reopens it');
    assert.deepEqual(await provider.getObject('broken', KIND, 'default/kept'), kept);
  } finally {
    await provider.close();
  }
});

test('a broken writer starts no compaction, whose newer log would make its uncut tail corruption at the next open', async () => {
  const dir = join(root, `dir-${dirs++}`);
  const faults: Faults = {};
  const backend = await opened(dir, { openFile: faultyOpen(faults), compactMinBytes: 1e12 });
  await backend.put(KIND, KEY, Buffer.from('"v1"'));
  // The batch's bytes land, its sync fails, and so does cutting them off again.
  faults.landedWritev = 1;
  faults.truncate = 1;
  await assert.rejects(backend.put(KIND, KEY, Buffer.from('"v2"')), FileIoError);
  // Asked for, it is refused with the writer's failure.
  await assert.rejects(
    backend.compact(),
    (error: unknown) => error instanceof FileIoError && /rollback|truncat/.test(error.message),
  );
  assert.equal(backend.stats().compactions, 0);
  assert.match(backend.stats().lastCompactionError ?? '', /rollback|truncat/);
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.startsWith('log-')),
    ['log-0000000000.stow'],
    'no newer log was started',
  );
  await backend.close();
  // The failed batch is still the newest log's tail, where open can judge it. Here its bytes landed
  // whole, so it reads back: a write that failed with details.op "rollback" may have been applied.
  const reopened = await opened(dir);
  assert.ok(['"v1"', '"v2"'].includes(text(await reopened.get(KIND, KEY)) ?? ''));
  await reopened.close();
});

test('an open whose probe file cannot be written fails with a typed error, instead of opening an instance every probe will fail', async () => {
  const dir = join(root, `dir-${dirs++}`);
  await mkdir(join(dir, 'PROBE'), { recursive: true });
  await assert.rejects(opened(dir), (error: unknown) => {
    assert.ok(error instanceof FileIoError, String(error));
    assert.equal(error.details.op, 'probe');
    assert.equal(error.details.errno, 'EISDIR');
    return true;
  });
  // The failed open let the lock go: once PROBE is mended, the directory opens.
  await rm(join(dir, 'PROBE'), { recursive: true });
  const backend = await opened(dir);
  await backend.probe();
  await backend.close();
});

test('the probe reports a directory that cannot sync', async () => {
  const dir = join(root, `dir-${dirs++}`);
  const faults: Faults = {};
  const backend = await opened(dir, { openFile: faultyOpen(faults) });
  await backend.probe();
  faults.datasync = 1;
  await assert.rejects(backend.probe(), (error: unknown) => {
    assert.ok(error instanceof FileIoError);
    assert.equal(error.details.op, 'probe');
    return true;
  });
  await backend.probe();
  await backend.close();
});

test('a read submitted after a write that then fails answers with the version before that write', async () => {
  const faults: Faults = {};
  const backend = await opened(join(root, `dir-${dirs++}`), { openFile: faultyOpen(faults) });
  try {
    await backend.put(KIND, KEY, Buffer.from('"v1"'));
    faults.writev = 1;
    const events: string[] = [];
    const failing = backend.put(KIND, KEY, Buffer.from('"v2"')).then(
      () => events.push('put resolved'),
      () => events.push('put rejected'),
    );
    const read = backend.get(KIND, KEY).then((value) => {
      events.push('read');
      return value;
    });
    await failing;
    assert.equal(text(await read), '"v1"');
    assert.deepEqual(events, ['put rejected', 'read'], 'the read completed after the write it followed');
  } finally {
    await backend.close();
  }
});

test('put, delete and compact before open, or after close, return rejected promises, as get does, never throw', async () => {
  const dir = join(root, `d${dirs++}`);
  const backend = new FileBackend(dir);
  const calls = () => [
    backend.put(KIND, KEY, Buffer.from('"v"')),
    backend.delete(KIND, KEY),
    backend.compact(),
    backend.get(KIND, KEY),
  ];
  for (const call of calls()) await assert.rejects(call, { code: 'STOWAGE_NOT_INITIALIZED' });
  await backend.open(MachineId.generate());
  await backend.close();
  for (const call of calls()) await assert.rejects(call, { code: 'STOWAGE_CLOSED' });
});

test('a log handle that fails to close loses nothing and still releases the lock: close() resolves', async () => {
  const dir = join(root, `d${dirs++}`);
  const faults: Faults = {};
  const backend = new FileBackend(dir, { openFile: faultyOpen(faults) });
  await backend.open(MachineId.generate());
  await backend.put(KIND, KEY, Buffer.from('"kept"'));
  faults.close = 1;
  await backend.close();
  assert.equal(faults.close, 0, 'the injected close failure happened');
  assert.ok(!(await readdir(dir)).includes('LOCK'));
  const reopened = new FileBackend(dir);
  await reopened.open(MachineId.generate());
  try {
    assert.equal(Buffer.from((await reopened.get(KIND, KEY))!).toString(), '"kept"');
  } finally {
    await reopened.close();
  }
});
