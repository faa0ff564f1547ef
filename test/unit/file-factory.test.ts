import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createBackend } from '../../src/backends/create-backend.js';
import { backendInstanceName } from '../../src/backends/factory.js';
import {
  ConfigError,
  FileBackend,
  FileIoError,
  gvk,
  instanceName,
  MachineId,
  type ObjectKey,
} from '../../src/index.js';

test('a file instance is named file-<hash of its resolved path>, the same for every spelling of it', () => {
  const name = backendInstanceName({ kind: 'file', dir: 'data/local' });
  assert.equal(name, instanceName('file', resolve('data/local')));
  assert.match(name, /^file-[0-9a-f]{12}$/);
  assert.equal(backendInstanceName({ kind: 'file', dir: './data/../data/local/' }), name);
  assert.notEqual(backendInstanceName({ kind: 'file', dir: 'data/nfs' }), name);
});

test('the factory, which builds backends inside actor workers, gives file backends blocking log I/O', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-factory-'));
  try {
    const built = await createBackend({ kind: 'file', dir: root });
    assert.ok(built instanceof FileBackend);
    await built.open(MachineId.generate());
    assert.equal(built.stats().io, 'blocking');
    await built.close();
    const direct = new FileBackend(root);
    await direct.open(MachineId.generate());
    assert.equal(direct.stats().io, 'thread-pool', 'the default, for a caller on its own event loop');
    await direct.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the factory builds a working file backend with its compaction options', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-factory-'));
  try {
    const backend = await createBackend({
      kind: 'file',
      dir: root,
      compactMinBytes: 1,
      compactGarbageRatio: 0,
    });
    assert.ok(backend instanceof FileBackend);
    await backend.open(MachineId.generate());
    const kind = gvk('', 'v1', 'ConfigMap');
    await backend.put(kind, 'a' as ObjectKey, Buffer.from('{}'));
    await backend.put(kind, 'a' as ObjectKey, Buffer.from('{"v":2}'));
    await backend.close();
    const reopened = new FileBackend(root);
    await reopened.open(MachineId.generate());
    assert.ok(reopened.recovery().snapshot, 'the tiny thresholds made it compact');
    assert.equal(Buffer.from((await reopened.get(kind, 'a' as ObjectKey))!).toString(), '{"v":2}');
    await reopened.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('building a memory or file backend does not load the AWS SDK (it is imported for S3 instances only)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-factory-'));
  const probe = new URL('../fixtures/modules/aws-sdk-loaded.ts', import.meta.url).pathname;
  const loaded = (...args: string[]) =>
    Number(execFileSync(process.execPath, ['--import', 'tsx', probe, ...args], { encoding: 'utf8' }).trim());
  try {
    assert.equal(loaded('memory'), 0);
    assert.equal(loaded('file', root), 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a file backend built in code with no directory, or with compaction options out of range, is refused with ConfigError naming the field', () => {
  // resolve('') is the working directory, where the log would have gone.
  for (const dir of ['', 5, undefined]) {
    assert.throws(
      () => new FileBackend(dir as never),
      (error: unknown) => error instanceof ConfigError && error.details.field === 'dir',
      String(dir),
    );
  }
  for (const [options, field] of [
    [{ compactGarbageRatio: 1 }, 'compactGarbageRatio'],
    [{ compactGarbageRatio: Number.NaN }, 'compactGarbageRatio'],
    [{ compactGarbageRatio: -0.1 }, 'compactGarbageRatio'],
    [{ compactMinBytes: 0 }, 'compactMinBytes'],
    [{ compactMinBytes: 1.5 }, 'compactMinBytes'],
  ] as const) {
    assert.throws(
      () => new FileBackend('/tmp/never-opened', options),
      (error: unknown) => error instanceof ConfigError && error.details.field === field,
      JSON.stringify(options),
    );
  }
  assert.ok(new FileBackend('/tmp/never-opened', null as never), 'options of null are the defaults');
});

test('create: false opens only an instance that exists: a missing or empty directory fails and is left as it was', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-factory-'));
  try {
    const dir = join(root, 'mnt', 'stowage');
    const opening = (await createBackend({ kind: 'file', dir, create: false })) as FileBackend;
    await assert.rejects(opening.open(MachineId.generate()), (error: unknown) => {
      assert.ok(error instanceof FileIoError);
      assert.deepEqual([error.details.op, error.details.errno], ['open', 'ENOENT']);
      assert.match(error.message, /cannot be opened \(ENOENT\): it is opened with create: false/);
      return true;
    });
    assert.ok(!existsSync(join(root, 'mnt')), 'nothing is created, parents included');
    // A mount point whose filesystem is not mounted: the directory is there, empty.
    await mkdir(dir, { recursive: true });
    await assert.rejects(
      opening.open(MachineId.generate()),
      /holds no log and no snapshot: it is opened with create: false/,
    );
    assert.deepEqual(readdirSync(dir), []);
    const creating = new FileBackend(dir);
    await creating.open(MachineId.generate());
    await creating.put(gvk('', 'v1', 'ConfigMap'), 'default/a' as ObjectKey, Buffer.from('{}'));
    await creating.close();
    const reopened = (await createBackend({ kind: 'file', dir, create: false })) as FileBackend;
    await reopened.open(MachineId.generate());
    assert.ok(await reopened.get(gvk('', 'v1', 'ConfigMap'), 'default/a' as ObjectKey));
    await reopened.close();
    assert.throws(() => new FileBackend(dir, { create: 'no' as unknown as boolean }), ConfigError);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
