import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  access,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DirectoryLock,
  HEARTBEAT_MS,
  HEARTBEAT_STALE_MS,
  type LockOwner,
  removeStaleLock,
} from '../../src/backends/file/lock.js';
import {
  FileBackend,
  FileIoError,
  InvalidMachineIdError,
  LocalProvider,
  LockedError,
  MachineId,
  type ObjectKey,
} from '../../src/index.js';

let root: string;
let dirs = 0;
const freshDir = () => join(root, `dir-${dirs++}`);
const NOBODY = 65534;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-lock-'));
});
after(() => rm(root, { recursive: true, force: true }));

/** A pid no process has here (above the kernel's pid_max): its owner is dead, to this host. */
const DEAD_PID = 2 ** 22 + 17;

/** Writes a LOCK owned by someone else: a dead process of this host unless `fields` say otherwise. */
async function plantLock(dir: string, fields: Partial<LockOwner> & { token: string }): Promise<LockOwner> {
  const owner: LockOwner = {
    machineId: MachineId.generate().toString(),
    pid: DEAD_PID,
    startTime: '1',
    hostname: hostname(),
    acquiredAt: new Date().toISOString(),
    ...fields,
  };
  await writeFile(join(dir, 'LOCK'), JSON.stringify(owner), { mode: 0o600 });
  return owner;
}

async function opened(dir: string, machineId = MachineId.generate()): Promise<FileBackend> {
  const backend = new FileBackend(dir);
  await backend.open(machineId);
  return backend;
}

test('a second writer is refused with a typed error naming the owner, and the lock is released on close', async () => {
  const dir = freshDir();
  const owner = MachineId.generate();
  const first = await opened(dir, owner);
  await assert.rejects(opened(dir), (error: unknown) => {
    assert.ok(error instanceof LockedError);
    assert.equal(error.details.machineId, owner.toString());
    assert.equal(error.details.pid, process.pid);
    assert.equal(error.details.hostname, hostname());
    assert.match(error.message, new RegExp(owner.toString()));
    return true;
  });
  await first.probe();
  await first.close();
  await assert.rejects(access(join(dir, 'LOCK')), { code: 'ENOENT' });
  const second = await opened(dir);
  assert.equal(second.lockInfo().tookOverFrom, null);
  await second.close();
});

test('a close that cannot remove its lock fails typed, and a later open in the same thread takes that lock over instead of being refused by its own live pid', async () => {
  const dir = freshDir();
  const first = await opened(dir);
  const { token } = first.lockInfo().owner;
  const lockPath = join(dir, 'LOCK');
  // An immutable LOCK refuses its unlink with EPERM, as a filesystem gone read-only does with EROFS.
  execFileSync('chattr', ['+i', lockPath]);
  try {
    await assert.rejects(first.close(), (error: unknown) => {
      assert.ok(error instanceof FileIoError, String(error));
      assert.equal(error.details.op, 'unlock');
      return true;
    });
  } finally {
    execFileSync('chattr', ['-i', lockPath]);
  }
  const second = await opened(dir);
  assert.equal(second.lockInfo().tookOverFrom?.pid, process.pid);
  assert.equal(second.lockInfo().tookOverFrom?.token, token);
  await second.close();
});

test('two acquires of one directory on one thread, the second at any moment of the first, never both hold it', async () => {
  const machineId = MachineId.generate();
  for (let trial = 0; trial < 60; trial++) {
    const dir = freshDir();
    await mkdir(dir, { recursive: true });
    // 0 to about 2 ms of event-loop turns, so the second lands in each step of the first.
    const second = (async () => {
      for (let turn = 0; turn < trial; turn++) await new Promise((resolve) => setImmediate(resolve));
      return DirectoryLock.acquire(dir, machineId);
    })();
    const results = await Promise.allSettled([DirectoryLock.acquire(dir, machineId), second]);
    const held = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    // Before, the second took the first's lock over as stale in 133 of 200 such trials.
    assert.equal(held.length, 1, `trial ${trial}: ${held.length} holders`);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    assert.ok(refused.reason instanceof LockedError, String(refused.reason));
    for (const lock of held) await lock.release();
  }
});

test('a lock that cannot be made fails every attempt with the same message: the temporary file is named by its pattern, not its random name', async () => {
  const dir = freshDir();
  await (await opened(dir)).close();
  // An immutable directory refuses the lock's temporary file with EPERM, as a read-only one does with EROFS.
  execFileSync('chattr', ['+i', dir]);
  try {
    const messages: string[] = [];
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(opened(dir), (error: unknown) => {
        assert.ok(error instanceof FileIoError, String(error));
        assert.equal(error.details.op, 'lock');
        messages.push(error.message);
        return true;
      });
    }
    assert.equal(
      messages[0],
      messages[1],
      'the state log prints a failure to start once per distinct message',
    );
    assert.match(messages[0]!, /LOCK\.<pid>\.<token>\.tmp/);
  } finally {
    execFileSync('chattr', ['-i', dir]);
  }
});

test('a stale lock left by a SIGKILLed process on this host is taken over', async () => {
  const dir = freshDir();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('../faults/file-lock-holder.ts', import.meta.url).pathname, dir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const holder = JSON.parse(line) as { machineId: string; pid: number };
  await assert.rejects(opened(dir), (error: unknown) => {
    assert.ok(error instanceof LockedError);
    assert.equal(error.details.pid, holder.pid);
    assert.equal(error.details.machineId, holder.machineId);
    return true;
  });
  child.kill('SIGKILL');
  await once(child, 'exit');
  const backend = await opened(dir);
  try {
    assert.equal(backend.lockInfo().tookOverFrom?.pid, holder.pid);
    assert.equal(backend.lockInfo().tookOverFrom?.machineId, holder.machineId);
    const lock = JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, process.pid);
  } finally {
    await backend.close();
  }
});

test('a lock whose pid now belongs to another process (a reused pid) is stale', async () => {
  const dir = freshDir();
  const first = await opened(dir);
  const lock = JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as Record<string, unknown>;
  await first.close();
  // Our own pid, but a start time from an earlier process: what a container restart leaves.
  await writeFile(join(dir, 'LOCK'), JSON.stringify({ ...lock, startTime: '1', token: 'earlier' }), {
    mode: 0o600,
  });
  const backend = await opened(dir);
  assert.equal(backend.lockInfo().tookOverFrom?.token, 'earlier');
  await backend.close();
});

test("a lock naming a reused pid that is another user's process is stale too (kill(pid, 0) answers EPERM)", {
  skip:
    process.getuid?.() !== 0 && process.env.CI !== 'true' ? 'needs root, to run a child as nobody' : false,
}, async () => {
  assert.equal(process.getuid?.(), 0, 'CI runs as root');
  // The test root is mode 0700 (mkdtemp): nobody could not reach a directory inside it.
  const parent = await mkdtemp(join(tmpdir(), 'stowage-lock-nobody-'));
  after(() => rm(parent, { recursive: true, force: true }));
  await chmod(parent, 0o711);
  const dir = join(parent, 'instance');
  await (await opened(dir)).close();
  // pid 1 is root's: to the child, running as nobody, kill(1, 0) is EPERM. Its start time is not
  // the one recorded, so it is not the owner: a dead owner's pid, reused.
  await plantLock(dir, { pid: 1, startTime: '12345', token: 'reused' });
  await chown(dir, NOBODY, NOBODY);
  for (const file of await readdir(dir)) await chown(join(dir, file), NOBODY, NOBODY);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('../faults/file-lock-opener.ts', import.meta.url).pathname, dir],
    // The repository's root, where tsx resolves from.
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      uid: NOBODY,
      gid: NOBODY,
      cwd: new URL('../..', import.meta.url),
    },
  );
  let line = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    line += chunk.toString();
  });
  await once(child, 'exit');
  // Before, EPERM ended the judgement: the lock stayed, STOWAGE_LOCKED, until removed by hand.
  assert.deepEqual(JSON.parse(line), { tookOverFrom: 'reused' });
});

test("a contender late to a stale lock that another has taken over leaves the new owner's lock alone, and a third cannot get in", async () => {
  const dir = freshDir();
  await (await opened(dir)).close();
  const stale = await plantLock(dir, { startTime: null, thread: null, token: 'deadbeef' });
  // B judges the stale lock, and is descheduled; A takes it over meanwhile.
  const a = await opened(dir);
  try {
    assert.equal(a.lockInfo().tookOverFrom?.token, 'deadbeef');
    // B resumes with the lock it judged. Before, it renamed A's fresh lock aside, C got in while it
    // was away, and B's link back failed: A and C both wrote the log, and A's writes were lost.
    assert.equal(await removeStaleLock(join(dir, 'LOCK'), stale), false);
    await assert.rejects(opened(dir), LockedError);
    await a.probe();
    assert.deepEqual(
      (await readdir(dir)).filter((file) => file.startsWith('LOCK')),
      ['LOCK'],
      'no link left behind',
    );
  } finally {
    await a.close();
  }
});

test('a lock from another PID namespace under this host name is judged by its heartbeat, not by a pid this process cannot see', async () => {
  const dir = freshDir();
  await (await opened(dir)).close();
  // Its pid is dead here, yet maybe alive in its own namespace: a container given this host's name.
  await plantLock(dir, { thread: null, pidNamespace: 'pid:[1]', token: 'other-namespace' });
  // Touched just now: its holder lives. Before, the dead pid made it stale; two writers shared the log.
  await assert.rejects(opened(dir), LockedError);
  const longAgo = new Date(Date.now() - HEARTBEAT_STALE_MS - 10_000);
  await utimes(join(dir, 'LOCK'), longAgo, longAgo);
  const backend = await opened(dir);
  try {
    assert.equal(backend.lockInfo().tookOverFrom?.token, 'other-namespace');
  } finally {
    await backend.close();
  }
});

test('the holder touches its lock every heartbeat', { timeout: 30_000 }, async () => {
  const dir = freshDir();
  const backend = await opened(dir);
  try {
    const longAgo = new Date(Date.now() - HEARTBEAT_STALE_MS - 10_000);
    await utimes(join(dir, 'LOCK'), longAgo, longAgo);
    await sleep(HEARTBEAT_MS + 1000);
    const age = Date.now() - (await stat(join(dir, 'LOCK'))).mtimeMs;
    assert.ok(age < HEARTBEAT_MS + 1000, `LOCK last touched ${Math.round(age)} ms ago`);
  } finally {
    await backend.close();
  }
});

test('an unreadable lock file is refused with a message that says so and what to do', {
  timeout: 30_000,
}, async () => {
  const dir = freshDir();
  await (await opened(dir)).close();
  for (const content of ['', 'not json at all\n']) {
    await writeFile(join(dir, 'LOCK'), content, { mode: 0o600 });
    await assert.rejects(opened(dir), (error: unknown) => {
      assert.ok(error instanceof LockedError);
      assert.match(error.message, /is unreadable .*remove it once no writer uses this directory/);
      return true;
    });
  }
  // A LOCK planted as a symlink is not followed: to a FIFO the open hung, to /dev/zero it read without end.
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const target of [fifo, '/dev/zero']) {
    await rm(join(dir, 'LOCK'), { force: true });
    await symlink(target, join(dir, 'LOCK'));
    await assert.rejects(opened(dir), (error: unknown) => {
      assert.ok(error instanceof LockedError, String(error));
      assert.match(error.message, /is unreadable/);
      return true;
    });
  }
});

test('a lock held from another host is never taken over, even if its pid is dead here', async () => {
  const dir = freshDir();
  await (await opened(dir)).close();
  const foreign = await plantLock(dir, { hostname: `not-${hostname()}`, token: 'foreign' });
  await assert.rejects(opened(dir), (error: unknown) => {
    assert.ok(error instanceof LockedError);
    assert.equal(error.details.hostname, foreign.hostname);
    return true;
  });
  assert.equal(
    JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')).token,
    'foreign',
    'the lock is untouched',
  );
});

test('the probe fails once the lock file is no longer this writer’s', async () => {
  const dir = freshDir();
  const backend = await opened(dir);
  await backend.probe();
  await rm(join(dir, 'LOCK'));
  await assert.rejects(backend.probe(), LockedError);
  await backend.close();
});

test('opens of one backend for the same machine join; another machine is refused; a failed open can be retried', async () => {
  const dir = freshDir();
  const owner = MachineId.generate();
  const backend = new FileBackend(dir);
  // Both start before either has taken the lock: without the join the second met this process's
  // own lock and failed with STOWAGE_LOCKED.
  await Promise.all([backend.open(owner), backend.open(owner)]);
  await backend.open(owner);
  await assert.rejects(backend.open(MachineId.generate()), (error: unknown) => {
    assert.ok(error instanceof LockedError);
    assert.equal(error.details.machineId, owner.toString());
    return true;
  });
  await backend.put(
    { group: '', version: 'v1', kind: 'ConfigMap' },
    'default/a' as ObjectKey,
    new TextEncoder().encode('{}'),
  );
  await backend.close();

  const blocker = await opened(freshDir());
  const retried = new FileBackend(blocker.dir);
  await assert.rejects(retried.open(owner), LockedError);
  await blocker.close();
  await retried.open(owner);
  await retried.close();
});

test('close() during open() resolves only once the open has let the lock go, so the next writer gets it', async () => {
  const dir = freshDir();
  // A log long enough that the open is still reading it when close() is called.
  const writer = await opened(dir);
  const kind = { group: '', version: 'v1', kind: 'ConfigMap' };
  const value = new TextEncoder().encode(JSON.stringify({ data: 'x'.repeat(200) }));
  await Promise.all(
    Array.from({ length: 20_000 }, (_, i) => writer.put(kind, `ns/k${i}` as ObjectKey, value)),
  );
  await writer.close();
  for (let round = 0; round < 5; round++) {
    const backend = new FileBackend(dir);
    const opening = backend.open(MachineId.generate());
    while (!(await exists(join(dir, 'LOCK')))) await new Promise((resolve) => setImmediate(resolve));
    await backend.close();
    assert.equal(await exists(join(dir, 'LOCK')), false, 'close() resolved with the lock still held');
    await assert.rejects(opening);
    const next = await opened(dir);
    await next.close();
  }
});

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

test('LocalProvider: a concurrent initialize() for another machine is refused before it reaches the file instance', async () => {
  const provider = new LocalProvider([{ name: 'file-a', backend: new FileBackend(freshDir()) }]);
  const results = await Promise.allSettled([
    provider.initialize(MachineId.generate()),
    provider.initialize(MachineId.generate()),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected'],
  );
  assert.ok(results[1]?.status === 'rejected' && results[1].reason instanceof InvalidMachineIdError);
  assert.match(String((results[1] as PromiseRejectedResult).reason.message), /initialized as machine/);
  await provider.close();
});
