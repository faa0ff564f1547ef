import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileBackend, FileIoError, gvk, MachineId, type ObjectKey } from '../../src/index.js';

const mode = async (path: string) => (await stat(path)).mode & 0o777;

for (const umask of [0, 0o277]) {
  test(`the instance directory is 0700 and every file in it 0600, whatever the umask (umask 0${umask.toString(8)})`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'stowage-perms-'));
    // 0277 made files 0400, which a non-root instance could not reopen (its PROBE first).
    const previous = process.umask(umask);
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
}

test('symlinks planted in the directory are never written through: not by the probe, nor by a snapshot or a log that compaction makes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-links-'));
  try {
    const dir = join(root, 'instance');
    await mkdir(dir, { mode: 0o777 });
    const victims = ['probe', 'snapshot', 'log'].map((name) => join(root, `victim-${name}`));
    for (const victim of victims) await writeFile(victim, 'not stowage data\n', { mode: 0o600 });
    const [probeVictim, snapshotVictim, logVictim] = victims as [string, string, string];

    // A directory left world-writable before the first open, with PROBE planted in it.
    await symlink(probeVictim, join(dir, 'PROBE'));
    await assert.rejects(new FileBackend(dir).open(MachineId.generate()), (error: unknown) => {
      assert.ok(error instanceof FileIoError, String(error));
      assert.equal(error.details.errno, 'ELOOP');
      assert.match(error.message, /PROBE is a symlink, which stowage never follows/);
      return true;
    });
    await rm(join(dir, 'PROBE'));

    const backend = new FileBackend(dir);
    await backend.open(MachineId.generate());
    const kind = gvk('', 'v1', 'ConfigMap');
    await backend.put(kind, 'default/a' as ObjectKey, Buffer.from('{"v":1}'));
    // The names the next compaction makes (generation 1), planted while the instance runs.
    await symlink(snapshotVictim, join(dir, 'snapshot-0000000001.stow.tmp'));
    await symlink(logVictim, join(dir, 'log-0000000001.stow'));
    await backend.compact();
    assert.equal(backend.stats().lastCompactionError, null);
    for (const name of ['snapshot-0000000001.stow', 'log-0000000001.stow']) {
      assert.ok((await lstat(join(dir, name))).isFile(), `${name} is a file of its own`);
    }
    await backend.close();
    for (const victim of victims) assert.equal(await readFile(victim, 'utf8'), 'not stowage data\n', victim);

    const reopened = new FileBackend(dir);
    await reopened.open(MachineId.generate());
    assert.equal(Buffer.from((await reopened.get(kind, 'default/a' as ObjectKey))!).toString(), '{"v":1}');
    await reopened.close();
  } finally {
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

test('a path the message names is not quoted a second time from the system error (ENAMETOOLONG quoted 4 KB twice)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-long-'));
  try {
    const dir = join(root, ...Array.from({ length: 25 }, () => 'a'.repeat(200)));
    await assert.rejects(new FileBackend(dir).open(MachineId.generate()), (error: unknown) => {
      assert.ok(error instanceof FileIoError, String(error));
      assert.equal(error.details.errno, 'ENAMETOOLONG');
      assert.equal(error.message.split(dir).length - 1, 1, error.message);
      return true;
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a FIFO named like a log is refused as no regular file, where its open waited for a writer without end', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-fifo-log-'));
  const fifo = join(dir, 'log-0000000000.stow');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  try {
    const opening = new FileBackend(dir).open(MachineId.generate()).then(
      () => 'opened',
      (error: unknown) => error,
    );
    const outcome = await Promise.race([opening, sleep(5_000, 'still waiting')]);
    assert.ok(outcome instanceof FileIoError, String(outcome));
    assert.match(outcome.message, /log-0000000000\.stow failed: it is not a regular file/);
  } finally {
    // A reader and writer in one ends an open the old code left waiting.
    closeSync(openSync(fifo, 'r+'));
    await rm(dir, { recursive: true, force: true });
  }
});
