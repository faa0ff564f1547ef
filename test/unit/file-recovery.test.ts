import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  CorruptLogError,
  FileBackend,
  gvk,
  MachineId,
  type ObjectKey,
  UnsupportedFormatError,
} from '../../src/index.js';
import { warningsDuring } from '../helpers/warnings.js';

const KIND = gvk('', 'v1', 'ConfigMap');

// The cuts below drop torn tails hundreds of times, each a STOWAGE_TORN_TAIL_DROPPED warning that
// Node would print. They are expected here, so only those stay off stderr; the tests that check the
// warning listen for it themselves.
const printWarning = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning: Error) => {
  if ((warning as { code?: string }).code === 'STOWAGE_TORN_TAIL_DROPPED') return;
  for (const print of printWarning) print(warning);
});
const LOG = 'log-0000000000.stow';
const RECORDS = 12;

let root: string;
let original: string;
/** Log size after each acknowledged put: batch boundaries, since each put was its own batch. */
let boundaries: number[];

const value = (i: number) => Buffer.from(JSON.stringify({ i, pad: 'v'.repeat(40 + i) }));
const keyOf = (i: number) => `default/k${i}` as ObjectKey;

async function openBackend(dir: string): Promise<FileBackend> {
  const backend = new FileBackend(dir);
  await backend.open(MachineId.generate());
  return backend;
}

let copies = 0;
/** A copy of the pristine instance, with its log edited by `edit`. */
async function copyWith(edit: (log: string) => Promise<void>): Promise<string> {
  const dir = join(root, `copy-${copies++}`);
  await mkdir(dir, { mode: 0o700 });
  await copyFile(join(original, LOG), join(dir, LOG));
  await edit(join(dir, LOG));
  return dir;
}

async function flipBit(path: string, offset: number, bit = 3): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset]! ^= 1 << bit;
  await writeFile(path, bytes);
}

async function presentKeys(backend: FileBackend): Promise<number> {
  let present = 0;
  for (let i = 0; i < RECORDS; i++) {
    const stored = await backend.get(KIND, keyOf(i));
    if (stored) {
      assert.deepEqual(Buffer.from(stored), value(i), `record ${i} is intact`);
      present++;
    }
  }
  return present;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-recovery-'));
  original = join(root, 'original');
  const backend = await openBackend(original);
  boundaries = [(await stat(join(original, LOG))).size];
  for (let i = 0; i < RECORDS; i++) {
    await backend.put(KIND, keyOf(i), value(i));
    boundaries.push((await stat(join(original, LOG))).size);
  }
  await backend.close();
});

after(() => rm(root, { recursive: true, force: true }));

describe('file backend recovery from a torn tail', () => {
  test('a log cut at any offset opens with the whole batches before the cut, and reports the dropped bytes', async () => {
    const last = boundaries.at(-2)!;
    const end = boundaries.at(-1)!;
    const cuts = new Set<number>();
    for (let at = last; at < end; at++) cuts.add(at);
    for (let at = boundaries[0]!; at < last; at += 7) cuts.add(at);
    for (const cut of cuts) {
      const dir = await copyWith((log) => truncate(log, cut));
      const backend = await openBackend(dir);
      const whole = boundaries.filter((b) => b <= cut);
      const goodEnd = whole.at(-1)!;
      try {
        const report = backend.recovery();
        assert.equal(report.droppedBytes, cut - goodEnd, `cut at ${cut}`);
        assert.equal(report.truncatedAt, cut === goodEnd ? null : goodEnd);
        assert.equal(await presentKeys(backend), whole.length - 1, `cut at ${cut}`);
      } finally {
        await backend.close();
      }
      assert.equal((await stat(join(dir, LOG))).size, goodEnd, 'the torn tail was truncated on disk');
      const reopened = await openBackend(dir);
      assert.equal(reopened.recovery().droppedBytes, 0, 'a second open finds nothing to drop');
      await reopened.close();
      await rm(dir, { recursive: true });
    }
  });

  /** The warning for a copy whose log was cut 5 bytes short of its end. */
  const expected = (dir: string) =>
    `file instance ${dir}: open dropped ${boundaries.at(-1)! - 5 - boundaries.at(-2)!} bytes of a torn tail at ${LOG}:${boundaries.at(-2)}`;

  const tornTailWarnings = (body: () => Promise<void>) => warningsDuring('STOWAGE_TORN_TAIL_DROPPED', body);

  test('a dropped tail is also a process warning naming the instance, the bytes and where it was cut', async () => {
    const dir = await copyWith((log) => truncate(log, boundaries.at(-1)! - 5));
    const ours = await tornTailWarnings(async () => {
      const backend = await openBackend(dir);
      await backend.close();
    });
    assert.equal(ours.length, 1);
    assert.equal(ours[0]!.name, 'StowageWarning');
    assert.equal(ours[0]!.message, expected(dir));
  });

  test('the warning is given even when the open fails after cutting the tail, since the next open finds nothing', async () => {
    const dir = await copyWith((log) => truncate(log, boundaries.at(-1)! - 5));
    const ours = await tornTailWarnings(async () => {
      // Only the log's opening fails, which comes after recovery has cut the tail.
      const failing = new FileBackend(dir, {
        openFile: async (path, flags, mode) => {
          if (!path.endsWith('.stow')) return open(path, flags, mode);
          throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
        },
      });
      await assert.rejects(failing.open(MachineId.generate()));
    });
    assert.deepEqual(
      ours.map((w) => w.message),
      [expected(dir)],
    );
    const reopened = await openBackend(dir);
    assert.equal(reopened.recovery().droppedBytes, 0, 'the bytes were already gone');
    await reopened.close();
  });

  test('a tail of zeros or of random garbage is dropped and counted', async () => {
    for (const tail of [
      Buffer.alloc(4096),
      Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131) % 251)),
    ]) {
      const dir = await copyWith((log) => writeFile(log, tail, { flag: 'a' }));
      const backend = await openBackend(dir);
      try {
        assert.equal(backend.recovery().droppedBytes, tail.length);
        assert.equal(await presentKeys(backend), RECORDS);
        await backend.put(KIND, keyOf(0), value(0));
      } finally {
        await backend.close();
      }
      const reopened = await openBackend(dir);
      assert.equal(await presentKeys(reopened), RECORDS, 'writes after the repair land on a clean log');
      await reopened.close();
    }
  });
});

describe('file backend corruption detection', () => {
  test('a flipped bit in any batch but the last is a typed corruption naming the file and the batch offset', async () => {
    for (let batch = 0; batch < RECORDS - 1; batch++) {
      const start = boundaries[batch]!;
      const size = boundaries[batch + 1]! - start;
      for (const within of [0, 5, 9, 13, 20, size - 1]) {
        const dir = await copyWith((log) => flipBit(log, start + within));
        const damaged = await readFile(join(dir, LOG));
        for (let attempt = 0; attempt < 2; attempt++) {
          await assert.rejects(openBackend(dir), (error: unknown) => {
            assert.ok(error instanceof CorruptLogError, String(error));
            assert.equal(error.details.file, LOG);
            assert.equal(error.details.offset, start, `bit flipped at batch ${batch} + ${within}`);
            return true;
          });
        }
        assert.deepEqual(await readFile(join(dir, LOG)), damaged, 'a failed open changes nothing on disk');
        await rm(dir, { recursive: true });
      }
    }
  });

  test('a flipped bit in the last batch cannot be told from a torn write: it is dropped and reported', async () => {
    const last = boundaries.at(-2)!;
    const dir = await copyWith((log) => flipBit(log, last + 30));
    const backend = await openBackend(dir);
    try {
      assert.equal(backend.recovery().droppedBytes, boundaries.at(-1)! - last);
      assert.equal(await presentKeys(backend), RECORDS - 1);
    } finally {
      await backend.close();
    }
  });

  test('a damaged header is corruption at offset 0; an unknown version is an unsupported format', async () => {
    const damaged = await copyWith((log) => flipBit(log, 9));
    await assert.rejects(openBackend(damaged), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      assert.deepEqual(error.details, { file: LOG, offset: 0 });
      return true;
    });
    const future = await copyWith(async (log) => {
      const bytes = await readFile(log);
      bytes.writeUInt16LE(2, 4);
      bytes.writeUInt32LE(crc32(bytes.subarray(0, 20)), 20);
      await writeFile(log, bytes);
    });
    await assert.rejects(openBackend(future), (error: unknown) => {
      assert.ok(error instanceof UnsupportedFormatError);
      assert.equal(error.details.version, 2);
      return true;
    });
  });

  test('a blank header on a log that holds batches is corruption, and the log is kept, not removed as unborn', async () => {
    const dir = await copyWith(async (log) => {
      const bytes = await readFile(log);
      bytes.fill(0, 0, 24);
      await writeFile(log, bytes);
    });
    await assert.rejects(openBackend(dir), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      assert.deepEqual(error.details, { file: LOG, offset: 0 });
      assert.match(error.message, /blank header but holds \d+ bytes/);
      return true;
    });
    assert.ok((await stat(join(dir, LOG))).size > 24, 'the acknowledged batches are still there to recover');
  });

  test("a snapshot's own log emptied or blanked is corruption, not a log a crash left unborn: the writes since the snapshot are not silently dropped", async () => {
    for (const [label, cut] of [
      ['emptied', (log: string) => truncate(log, 0)],
      ['cut inside its header', (log: string) => truncate(log, 10)],
      ['blanked to a zero header', (log: string) => writeFile(log, Buffer.alloc(24))],
    ] as const) {
      const dir = await copyWith(async () => {});
      const backend = await openBackend(dir);
      await backend.compact();
      assert.equal(backend.stats().lastCompactionError, null);
      // Acknowledged after the snapshot, so held only by log-1: a delete and an overwrite.
      assert.equal(await backend.delete(KIND, keyOf(0)), true);
      await backend.put(KIND, keyOf(1), value(99));
      await backend.close();
      const log = 'log-0000000001.stow';
      await cut(join(dir, log));
      await assert.rejects(openBackend(dir), (error: unknown) => {
        assert.ok(error instanceof CorruptLogError, label);
        assert.deepEqual(error.details, { file: log, offset: 0 }, label);
        assert.match(error.message, /snapshot-0000000001\.stow exists/, label);
        return true;
      });
      assert.ok(existsSync(join(dir, log)), `${label}: the log is kept for analysis`);
    }
  });

  test('logs past generation 0 with no snapshot name the missing snapshot', async () => {
    const dir = await copyWith(async () => {});
    const backend = await openBackend(dir);
    await backend.compact();
    await backend.close();
    await rm(join(dir, 'snapshot-0000000001.stow'));
    await assert.rejects(openBackend(dir), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      assert.deepEqual(error.details, { file: 'snapshot-0000000001.stow', offset: 0 });
      assert.match(error.message, /^snapshot-0000000001\.stow is missing: log-0000000001\.stow is there/);
      return true;
    });
  });

  test('a stray log past a gap names the log missing and the one that makes it missing', async () => {
    const dir = await copyWith(async () => {});
    await copyFile(join(dir, LOG), join(dir, 'log-9999999999.stow'));
    await assert.rejects(openBackend(dir), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      assert.deepEqual(error.details, { file: 'log-0000000001.stow', offset: 0 });
      assert.equal(
        error.message,
        'log-0000000001.stow is missing: log-9999999999.stow is there, and every log from log-0000000000.stow up to it must be',
      );
      return true;
    });
  });

  test('a flipped bit in a snapshot is corruption naming the snapshot', async () => {
    const dir = await copyWith(async () => {});
    const backend = await openBackend(dir);
    await backend.compact();
    assert.equal(backend.stats().lastCompactionError, null);
    await backend.close();
    const snapshot = 'snapshot-0000000001.stow';
    await flipBit(join(dir, snapshot), 100);
    await assert.rejects(openBackend(dir), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      assert.equal(error.details.file, snapshot);
      // It said "incomplete", which reads as an interrupted write rather than damage.
      assert.match(
        error.message,
        /is damaged or incomplete at offset \d+ \(the \d+ bytes after it are no whole batch, or fail their checksum\)/,
      );
      return true;
    });
  });
});
