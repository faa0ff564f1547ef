import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileBackend, FileIoError, gvk, MachineId, type ObjectKey } from '../../src/index.js';

const mode = async (path: string) => (await stat(path)).mode & 0o777;

test('the instance directory is 0700 and every file in it 0600, whatever the umask', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-perms-'));
  const previous = process.umask(0);
  try {
    const dir = join(root, 'nested', 'instance');
    await mkdir(join(root, 'nested'), { mode: 0o755 });
    await mkdir(dir, { mode: 0o755 });
    const backend = new FileBackend(dir, { compactMinBytes: 1, compactGarbageRatio: 0 });
    await backend.open(MachineId.generate());
    for (let i = 0; i < 20; i++) {
      await backend.put(gvk('', 'v1', 'ConfigMap'), `default/k${i % 3}` as ObjectKey, Buffer.from('{}'));
    }
    // The first call can join a compaction the puts started, which may start one more as it ends
    // (batches landed while it ran); the second waits for that, so no temporary file is in flight
    // while the directory is listed.
    await backend.compact();
    await backend.compact();
    await backend.probe();
    assert.equal(await mode(dir), 0o700, 'an existing directory is tightened');
    const names = await readdir(dir);
    for (const kind of ['LOCK', 'PROBE', 'log-', 'snapshot-']) {
      assert.ok(
        names.some((n) => n.startsWith(kind)),
        `${kind} exists: ${names}`,
      );
    }
    for (const name of names) assert.equal(await mode(join(dir, name)), 0o600, name);
    await backend.close();

    const created = join(root, 'created', 'deep');
    const fresh = new FileBackend(created);
    await fresh.open(MachineId.generate());
    await fresh.close();
    assert.equal(await mode(created), 0o700);
    assert.equal(await mode(join(root, 'created')), 0o700, 'missing parents are created 0700 too');
  } finally {
    process.umask(previous);
    await rm(root, { recursive: true, force: true });
  }
});

test('a directory that cannot be made fails the open at once with the system error for the directory concerned', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-mkdir-'));
  try {
    await writeFile(join(root, 'a-file'), '');
    // Under /proc mkdir fails with ENOENT though the parent exists: Node's recursive mkdir spun on
    // that for ever, at full CPU, and the open never settled.
    await symlink(join(root, 'nowhere'), join(root, 'dangling'));
    for (const [dir, errno, about] of [
      ['/proc/stowage-no-such/data', 'ENOENT', '/proc/stowage-no-such'],
      [join(root, 'a-file', 'data'), 'ENOTDIR', join(root, 'a-file', 'data')],
      [join(root, 'a-file'), 'ENOTDIR', `${join(root, 'a-file')} exists and is not a directory`],
      [
        join(root, 'dangling'),
        'ENOENT',
        `${join(root, 'dangling')} is a symbolic link to ${join(root, 'nowhere')}, which does not exist`,
      ],
    ] as const) {
      const backend = new FileBackend(dir);
      const opened = backend.open(MachineId.generate());
      const outcome = await Promise.race([
        opened.then(
          () => 'opened',
          (error: unknown) => error,
        ),
        sleep(5000).then(() => 'still opening after 5 s'),
      ]);
      assert.ok(outcome instanceof FileIoError, `${dir}: ${String(outcome)}`);
      assert.equal(outcome.details.op, 'mkdir', outcome.message);
      assert.equal(outcome.details.errno, errno, outcome.message);
      assert.ok(outcome.message.includes(about), outcome.message);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
