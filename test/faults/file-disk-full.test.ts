/**
 * A full disk, for real: a 4 MiB tmpfs mounted for the test and filled by a file of its own. It
 * needs root (mount); CI runs as root, so there it fails rather than skips without it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateLog } from '../../src/app/state-log.js';
import {
  FileBackend,
  type FileBackendOptions,
  FileIoError,
  LocalProvider,
  MachineId,
  makeObjectKey,
  type RuntimeObject,
} from '../../src/index.js';
import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import { combineObservers } from '../../src/runtime/combine-observers.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { startServer } from '../../src/server/http-server.js';
import { startServe } from '../helpers/cli.js';
import { RecordingObserver } from './runtime-harness.js';

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };

/** Mounts a tmpfs of `size`; why it cannot, when it cannot (not root, no mount binary). */
function mountTmpfs(at: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', at], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

const root = mkdtempSync(join(tmpdir(), 'stowage-diskfull-'));
const mount = join(root, 'mnt');
mkdirSync(mount);
const notMounted = mountTmpfs(mount, '4m');
if (notMounted && process.env.CI === 'true')
  throw new Error(`CI runs as root and must mount a tmpfs: ${notMounted}`);
const skip = notMounted === undefined ? false : `needs root to mount a tmpfs (${notMounted})`;

after(async () => {
  if (!skip) execFileSync('umount', [mount]);
  await rm(root, { recursive: true, force: true });
});

const object = (name: string, bytes = 100): RuntimeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { payload: 'x'.repeat(bytes) },
});

/** Writes `path` until the filesystem refuses with ENOSPC; returns how many bytes it took. */
async function fill(path: string): Promise<number> {
  const handle = await open(path, 'w', 0o600);
  let written = 0;
  try {
    for (const chunk of [64 * 1024, 4096, 512]) {
      const bytes = Buffer.alloc(chunk, 0x66);
      for (;;) {
        try {
          const { bytesWritten } = await handle.write(bytes, 0, chunk, written);
          written += bytesWritten;
          if (bytesWritten < chunk) break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}

test('a full disk refuses puts with a typed ENOSPC error (HTTP 507) while reads and probes go on and nothing restarts; acknowledged writes survive; writes resume once space is freed', {
  skip,
}, async () => {
  const dir = join(mount, 'instance');
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider([{ kind: 'file', dir }], {
    supervisor: { probeIntervalMs: 50, probeFailureThreshold: 2, maxRestarts: 1 },
    observer,
  });
  const acknowledged: string[] = [];
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    for (let i = 0; i < 5; i++) {
      await provider.putObject(instance, object(`before-${i}`));
      acknowledged.push(`default/before-${i}`);
    }
    assert.ok((await fill(join(mount, 'filler'))) > 0);
    // As an operator's clean-up might (or as it was when the disk filled before the first probe):
    // the next probe needs a new block. Probes that truncated and rewrote it failed on the full
    // disk, the supervisor restarted the worker, its reopen needed a block for the lock, and the
    // restart limit left the instance down, reads included.
    await rm(join(dir, 'PROBE'), { force: true });
    let refused: unknown;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      try {
        await provider.putObject(instance, object(`full-${i}`, 4096));
        acknowledged.push(`default/full-${i}`);
      } catch (error) {
        refused = error;
      }
    }
    assert.ok(refused instanceof FileIoError, String(refused));
    assert.equal(refused.details.errno, 'ENOSPC');

    const server = await startServer({ provider, port: 0 });
    try {
      const response = await fetch(`${server.url}/api/v1/instances/default/objects`, {
        method: 'PUT',
        body: JSON.stringify(object('over-http', 8192)),
      });
      assert.equal(response.status, 507);
      const body = (await response.json()) as { error: { code: string; details: { errno: string } } };
      assert.deepEqual([body.error.code, body.error.details.errno], ['STOWAGE_FILE_IO', 'ENOSPC']);
    } finally {
      await server.close();
    }

    // Ten probe rounds on the full disk: the instance stays up and serves reads.
    const probesBefore = observer.probes.length;
    const deadline = Date.now() + 10_000;
    while (observer.probes.length < probesBefore + 10 && Date.now() < deadline) await sleep(20);
    assert.deepEqual(observer.restarts, [], 'nothing restarted');
    assert.deepEqual(
      observer.probes.slice(probesBefore).filter((probe) => !probe.ok),
      [],
      'no probe failed',
    );
    assert.equal(observer.probes.length >= probesBefore + 10, true, 'probes went on');
    assert.equal(provider.instanceStatus(instance).status, true);
    const stored = await provider.getAllObjects(instance, CONFIG_MAP);
    assert.deepEqual(stored.map((o) => `default/${o.metadata.name}`).sort(), [...acknowledged].sort());

    await unlink(join(mount, 'filler'));
    await provider.putObject(instance, object('after'));
    acknowledged.push('default/after');
  } finally {
    await provider.close();
  }
  // Every acknowledged write, and nothing else, after a reopen.
  const reopened = new LocalProvider([{ name: 'reopened', backend: new FileBackend(dir) }]);
  await reopened.initialize(MachineId.generate());
  try {
    const stored = await reopened.getAllObjects('reopened', CONFIG_MAP);
    assert.deepEqual(stored.map((o) => `default/${o.metadata.name}`).sort(), [...acknowledged].sort());
  } finally {
    await reopened.close();
  }
});

/** Fills the filesystem with `path`, then gives `room` bytes of it back. */
async function leaveRoom(path: string, room: number): Promise<void> {
  const filled = await fill(path);
  execFileSync('truncate', ['-s', String(filled - room), path]);
}

/** Polls `read` every 50 ms until it gives `expected`, for up to 10 s; returns the last value. */
async function eventually<T>(read: () => T | Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 10_000;
  let value = await read();
  while (value !== expected && Date.now() < deadline) {
    await sleep(50);
    value = await read();
  }
  return value;
}

/** A FileBackend in `name` on the mount, and a filler file of its own; both go when `body` ends. */
async function withBackend(
  name: string,
  options: FileBackendOptions,
  body: (backend: FileBackend, filler: string) => Promise<void>,
): Promise<void> {
  const backend = new FileBackend(join(mount, name), options);
  await backend.open(MachineId.generate());
  const filler = join(mount, `filler-${name}`);
  try {
    await body(backend, filler);
  } finally {
    await backend.close();
    await rm(filler, { force: true });
  }
}

/** Stores object(name, bytes) straight into `backend`, as its encoded bytes. */
function putEncoded(backend: FileBackend, name: string, bytes: number): Promise<void> {
  const encoded = Buffer.from(JSON.stringify(object(name, bytes)));
  return backend.put(CONFIG_MAP, makeObjectKey('default', name), encoded);
}

test('a compaction whose snapshot cannot fit in the free space is not started, leaving the space to writes; once there is room, the next probe starts it', {
  skip,
}, async () => {
  await withBackend('compacting', {}, async (backend, filler) => {
    for (let i = 0; i < 40; i++) await putEncoded(backend, `k${i}`, 4096);
    // 64 KiB free: less than the live records, so a snapshot of them cannot fit.
    await leaveRoom(filler, 64 * 1024);
    // Asked for directly, the compaction that was not started is the caller's typed failure too.
    await assert.rejects(
      backend.compact(),
      (error: unknown) => error instanceof FileIoError && /skipped/.test(error.message),
    );
    // Before, it wrote its snapshot into the last free space, failing the writes beside it, then
    // failed with ENOSPC itself.
    assert.match(
      backend.stats().lastCompactionError ?? '',
      /^compact snapshot-\d+\.stow skipped: the snapshot needs about \d+ bytes free, and the filesystem has \d+$/,
    );
    await putEncoded(backend, 'after', 8192);
    assert.ok(await backend.get(CONFIG_MAP, makeObjectKey('default', 'after')));
    await rm(filler);
    // Not only after another compactMinBytes (64 MiB) of log: the next probe looks again.
    await backend.probe();
    assert.equal(await eventually(() => backend.stats().compactions, 1), 1);
    assert.equal(backend.stats().lastCompactionError, null);
  });
});

test("a log removed on a disk too full to write every record again: the write held for that rewrite fails with the full disk's ENOSPC (which the HTTP API answers 507), not a missing file's ENOENT, and so does every later one", {
  skip,
}, async () => {
  const backend = new FileBackend(join(mount, 'detached'));
  await backend.open(MachineId.generate());
  const filler = join(mount, 'filler-detached');
  const isFullDisk = (error: unknown) => {
    assert.ok(error instanceof FileIoError, String(error));
    assert.equal(error.details.errno, 'ENOSPC');
    return true;
  };
  try {
    for (let i = 0; i < 40; i++) await putEncoded(backend, `k${i}`, 4096);
    // Room for the next batch, not for a snapshot of the live records.
    await leaveRoom(filler, 64 * 1024);
    await unlink(join(mount, 'detached', 'log-0000000000.stow'));
    await assert.rejects(putEncoded(backend, 'held', 100), (error: unknown) => {
      isFullDisk(error);
      assert.match(
        (error as Error).message,
        /filesystem has \d+\).*This write was held for that rewrite, so it is applied in this process's memory \(reads see it\) but not durable$/,
      );
      return true;
    });
    await assert.rejects(putEncoded(backend, 'later', 100), isFullDisk);
  } finally {
    try {
      // The records the removed log held are lost, and close() says so.
      await assert.rejects(backend.close(), (error: unknown) => {
        isFullDisk(error);
        assert.equal((error as FileIoError).details.op, 'close');
        return true;
      });
    } finally {
      await rm(filler, { force: true });
    }
  }
});

test('after compactions skipped for lack of room and one that ran once there was room, the next comes when the policy says, not after the log outgrew its size at the last skip', {
  skip,
}, async () => {
  const minBytes = 64 * 1024;
  await withBackend(
    'threshold',
    { compactMinBytes: minBytes, compactGarbageRatio: 0.3 },
    async (backend, filler) => {
      const overwrite = async (bytes: number) => {
        for (let written = 0; written < bytes; written += 2048) await putEncoded(backend, 'same', 2048);
      };
      // Room for the log to grow to about 400 KiB, not for a snapshot beside its 1 MiB of headroom.
      await leaveRoom(filler, 512 * 1024);
      await overwrite(400 * 1024);
      assert.match(backend.stats().lastCompactionError ?? '', /skipped/);
      await rm(filler);
      await backend.probe();
      assert.equal(await eventually(() => backend.stats().compactions, 1), 1);
      // Twice the minimum of garbage: the policy is due. Before, the next compaction waited until
      // the files passed the size at the last skip (about 400 KiB) plus the minimum.
      await overwrite(2 * minBytes);
      assert.equal(await eventually(() => backend.stats().compactions >= 2, true), true);
    },
  );
});

test('through the runtime, stowage_compaction_failing is 1 while compactions cannot start, and 0 again once there is room; the state log says so once each way, with the reason', {
  skip,
}, async () => {
  const metrics = new StowageMetrics();
  const logged: string[] = [];
  const provider = new RuntimeProvider(
    [{ kind: 'file', dir: join(mount, 'gauge'), compactMinBytes: 16 * 1024, compactGarbageRatio: 0.1 }],
    {
      observer: combineObservers(metrics.observer, new StateLog((line) => logged.push(line))),
      supervisor: { probeIntervalMs: 50 },
    },
  );
  metrics.watch(provider);
  const filler = join(mount, 'filler-gauge');
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const failing = new RegExp(`stowage_compaction_failing\\{[^}]*store="${instance}"[^}]*\\} (\\d)`);
    const gauge = async () => failing.exec(await metrics.registry.metrics())?.[1];
    assert.equal(await gauge(), '0', 'at zero from the start');
    // Room for the writes, not for a snapshot beside its 1 MiB of headroom.
    await leaveRoom(filler, 256 * 1024);
    // Overwrites of one object make garbage past the policy: every compaction is skipped.
    for (let i = 0; i < 20; i++) await provider.putObject(instance, object('same', 2048));
    assert.equal(await eventually(gauge, '1'), '1');
    // Probes every 50 ms go on finding it failing: the log says so once.
    await sleep(500);
    await rm(filler);
    assert.equal(await eventually(gauge, '0'), '0');
    assert.equal(logged.length, 2, logged.join(''));
    assert.match(
      logged[0] ?? '',
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z instance ${instance}: compaction failing, its log grows until one succeeds: ` +
          'compact snapshot-\\d+\\.stow skipped: the snapshot needs about \\d+ bytes free, and the filesystem has \\d+\n$',
      ),
    );
    assert.match(logged[1] ?? '', new RegExp(`Z instance ${instance}: compaction succeeded again\n$`));
  } finally {
    await provider.close();
    metrics.stop();
    await rm(filler, { force: true });
  }
});

test('stowage serve prints when compactions start failing on a full disk, with the reason, and when they succeed again: once each, not at every probe', {
  skip,
  timeout: 60_000,
}, async () => {
  const server = await startServe(root, {
    STOWAGE__instances__0__dir: join(mount, 'serve'),
    STOWAGE__instances__0__compactMinBytes: '16384',
    STOWAGE__instances__0__compactGarbageRatio: '0.1',
    STOWAGE__supervisor__probeIntervalMs: '50',
  });
  const filler = join(mount, 'filler-serve');
  const printed = (pattern: RegExp) => eventually(() => pattern.test(server.output()), true);
  try {
    await leaveRoom(filler, 256 * 1024);
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${server.url}/api/v1/instances/default/objects`, {
        method: 'PUT',
        body: JSON.stringify(object('same', 2048)),
      });
      assert.ok(response.ok, `put ${i}: ${response.status} ${await response.text()}`);
    }
    assert.ok(await printed(/compaction failing/), server.output());
    await sleep(500);
    await rm(filler);
    assert.ok(await printed(/compaction succeeded again/), server.output());
  } finally {
    server.child.kill('SIGTERM');
    await rm(filler, { force: true });
  }
  const result = await server.stopped;
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n').filter((line) => line.includes('compaction'));
  assert.equal(lines.length, 2, result.stdout);
  assert.match(
    lines[0] ?? '',
    /^\S+Z instance file-[0-9a-f]{12}: compaction failing, its log grows until one succeeds: compact snapshot-\d+\.stow skipped: the snapshot needs about \d+ bytes free, and the filesystem has \d+$/,
  );
  assert.match(lines[1] ?? '', /^\S+Z instance file-[0-9a-f]{12}: compaction succeeded again$/);
});
