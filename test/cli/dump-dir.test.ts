/**
 * `stowage dump --dir`: a file instance read from its files alone, for a read-only mount or a
 * directory whose writer is running. The read-only case mounts a tmpfs and needs root; CI runs as
 * root, so there it fails rather than skips without it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileBackend, LocalProvider, MachineId, type ObjectKey } from '../../src/index.js';
import { SECRET_GVK } from '../../src/secrets/record.js';
import { runCli } from '../helpers/cli.js';
import { makeObject } from '../helpers/objects.js';

const root = mkdtempSync(join(tmpdir(), 'stowage-dump-dir-'));

const OBJECTS = [
  makeObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'prod' }),
  makeObject({ name: 'a', namespace: 'default', data: { text: 'line\nbreak ✓' } }),
  makeObject({ name: 'b', namespace: 'default' }),
];

/** Opens a file instance in `dir` holding OBJECTS and one secret record; the caller closes it. */
async function openInstance(dir: string): Promise<LocalProvider> {
  const backend = new FileBackend(dir);
  const provider = new LocalProvider([{ name: 'file-x', backend }]);
  await provider.initialize(MachineId.generate());
  for (const object of [...OBJECTS].reverse()) await provider.putObject('file-x', object);
  await backend.put(SECRET_GVK, 'prod/token' as ObjectKey, Buffer.from('{"sealed":"not for a dump"}'));
  return provider;
}

/** Names, sizes and modification times: what a reader that writes nothing leaves as it was. */
function filesOf(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const stats = statSync(join(dir, name));
      return `${name} ${stats.size} ${stats.mtimeMs}`;
    });
}

const dumpDir = (dir: string) => runCli(['dump', '--dir', dir], { cwd: root });

function parsedLines(stdout: string): unknown[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
}

test('dump --dir reads an instance its writer holds open, without the lock, and changes nothing', async () => {
  const dir = join(root, 'live');
  const provider = await openInstance(dir);
  try {
    const before = filesOf(dir);
    const dump = await dumpDir(dir);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(dump.stderr, '');
    // Objects only, one per line as `dump <instance>` writes them, kinds then keys sorted; the
    // secret record stays out.
    assert.deepEqual(parsedLines(dump.stdout), OBJECTS);
    assert.deepEqual(filesOf(dir), before);
    await provider.putObject('file-x', makeObject({ name: 'after', namespace: 'default' }));
  } finally {
    await provider.close();
  }
});

test('dump --dir reports a torn tail and leaves it in place; a damaged batch fails it with nothing written', async () => {
  const dir = join(root, 'torn');
  await (await openInstance(dir)).close();
  const log = join(dir, 'log-0000000000.stow');
  const size = statSync(log).size;
  appendFileSync(log, Buffer.alloc(100, 7));
  const dump = await dumpDir(dir);
  assert.equal(dump.code, 0, dump.stderr);
  assert.deepEqual(parsedLines(dump.stdout), OBJECTS);
  assert.match(
    dump.stderr,
    new RegExp(`100 bytes at the end of log-0000000000\\.stow \\(from offset ${size}\\)`),
  );
  assert.equal(statSync(log).size, size + 100, 'the tail is not cut');

  const damaged = join(root, 'damaged');
  await (await openInstance(damaged)).close();
  const damagedLog = join(damaged, 'log-0000000000.stow');
  // The first batch's payload, with whole batches after it: corruption, not a torn tail.
  execFileSync('dd', ['if=/dev/zero', `of=${damagedLog}`, 'bs=1', 'seek=80', 'count=4', 'conv=notrunc'], {
    stdio: 'ignore',
  });
  const failed = await dumpDir(damaged);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /STOWAGE_CORRUPT_LOG/);
  assert.equal(failed.stdout, '');
});

test('dump --dir refuses a directory that holds no instance, and arguments that do not go with it', async () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'notes.txt'), 'not an instance');
  const none = await dumpDir(empty);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /holds no file instance/);
  // A path that is not there is the commonest wrong path: before, exit 1 with an I/O error.
  const missing = await dumpDir(join(root, 'missing'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--dir: .*missing does not exist/);
  const file = await dumpDir(join(empty, 'notes.txt'));
  assert.equal(file.code, 2);
  assert.match(file.stderr, /notes\.txt is no directory/);
  const under = await dumpDir(join(empty, 'notes.txt', 'sub'));
  assert.equal(under.code, 2);
  assert.match(under.stderr, /notes\.txt\/sub does not exist/);
  // A path stat cannot follow is typed as before, not printed as a raw Error.
  const loop = join(root, 'loop');
  symlinkSync(loop, loop);
  const looped = await dumpDir(loop);
  assert.equal(looped.code, 1);
  assert.match(looped.stderr, /ELOOP.*\(STOWAGE_FILE_IO\)/);
  for (const extra of [['default'], ['--server', 'http://127.0.0.1:1'], ['--config', 'x.yaml']]) {
    const refused = await runCli(['dump', '--dir', empty, ...extra], { cwd: root });
    assert.equal(refused.code, 2, extra.join(' '));
  }
});

/** Mounts a tmpfs; why it cannot, when it cannot (not root, no mount binary). */
function mountTmpfs(at: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m,mode=0700', 'tmpfs', at], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

const mount = join(root, 'mnt');
mkdirSync(mount);
const notMounted = mountTmpfs(mount);
if (notMounted && process.env.CI === 'true')
  throw new Error(`CI runs as root and must mount a tmpfs: ${notMounted}`);
after(() => {
  if (!notMounted) execFileSync('umount', [mount]);
  rmSync(root, { recursive: true, force: true });
});

test('on a read-only mount, where opening the instance fails, dump --dir reads it', {
  skip: notMounted ? `needs root to mount a tmpfs (${notMounted})` : false,
}, async () => {
  const dir = join(mount, 'instance');
  await (await openInstance(dir)).close();
  execFileSync('mount', ['-o', 'remount,ro', mount]);
  const config = join(root, 'read-only.yaml');
  writeFileSync(config, `instances:\n  - kind: file\n    dir: ${dir}\n`);
  const opened = await runCli(['dump', '--config', config], { cwd: root });
  assert.equal(opened.code, 1, 'opening takes the lock, which a read-only mount refuses');
  assert.match(opened.stderr, /EROFS/);
  const dump = await dumpDir(dir);
  assert.equal(dump.code, 0, dump.stderr);
  assert.deepEqual(parsedLines(dump.stdout), OBJECTS);
});
