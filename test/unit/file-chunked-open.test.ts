import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ChunkReader } from '../../src/backends/file/chunk-reader.js';
import { CorruptLogError, FileBackend, gvk, MachineId, type ObjectKey } from '../../src/index.js';

// Open reads files in 8 MiB chunks: these logs are larger than a chunk, with batches that straddle
// chunk boundaries and, last, one batch that is larger than a chunk by itself: a batch carries at
// most 8 MiB of records (MAX_BATCH_BYTES), so only a record that large makes one.

const KIND = gvk('', 'v1', 'ConfigMap');
const LOG = 'log-0000000000.stow';
const SMALL = 6000;
const LARGE = 300;

const small = (i: number) => Buffer.from(JSON.stringify({ i, pad: 's'.repeat(2000 + (i % 97)) }));
const large = (i: number) => Buffer.from(JSON.stringify({ i, pad: 'L'.repeat(40_000 + i) }));
const huge = () => Buffer.from(JSON.stringify({ pad: 'H'.repeat(9 * 1024 * 1024) }));
const HUGE_KEY = 'h/k' as ObjectKey;

let root: string;
let dir: string;

async function openBackend(at: string): Promise<FileBackend> {
  const backend = new FileBackend(at);
  await backend.open(MachineId.generate());
  return backend;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'stowage-chunked-'));
  dir = join(root, 'instance');
  const backend = await openBackend(dir);
  // Small puts in groups of 100: about 12 MiB in batches of about 200 KiB, one across the 8 MiB mark.
  for (let start = 0; start < SMALL; start += 100) {
    const puts: Promise<void>[] = [];
    for (let i = start; i < start + 100; i++) puts.push(backend.put(KIND, `s/k${i}` as ObjectKey, small(i)));
    await Promise.all(puts);
  }
  // Submitted in one turn: about 12 MiB, which leaves as two batches under the 8 MiB cap.
  await Promise.all(
    Array.from({ length: LARGE }, (_, i) => backend.put(KIND, `l/k${i}` as ObjectKey, large(i))),
  );
  await backend.put(KIND, HUGE_KEY, huge());
  await backend.close();
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('opening a log larger than the read chunk', () => {
  test('every record of a log over 30 MiB, with a batch larger than a chunk, is read back exactly', async () => {
    assert.ok((await stat(join(dir, LOG))).size > 30 * 1024 * 1024, 'the log spans several chunks');
    const backend = await openBackend(dir);
    try {
      assert.equal(backend.stats().records, SMALL + LARGE + 1);
      assert.deepEqual(await backend.get(KIND, HUGE_KEY), huge());
      assert.equal(backend.recovery().droppedBytes, 0);
      for (let i = 0; i < SMALL; i++) {
        assert.deepEqual(await backend.get(KIND, `s/k${i}` as ObjectKey), small(i), `small ${i}`);
      }
      for (let i = 0; i < LARGE; i++) {
        assert.deepEqual(await backend.get(KIND, `l/k${i}` as ObjectKey), large(i), `large ${i}`);
      }
    } finally {
      await backend.close();
    }
  });

  test('a torn tail in the batch larger than a chunk drops that batch and keeps the rest', async () => {
    const copy = join(root, 'torn');
    await cp(dir, copy, { recursive: true });
    const size = (await stat(join(copy, LOG))).size;
    await truncate(join(copy, LOG), size - 1000);
    const backend = await openBackend(copy);
    try {
      assert.equal(backend.stats().records, SMALL + LARGE, 'the torn batch held exactly the huge put');
      assert.ok(backend.recovery().droppedBytes > 8 * 1024 * 1024, 'the whole torn batch was dropped');
      assert.deepEqual(await backend.get(KIND, `l/k${LARGE - 1}` as ObjectKey), large(LARGE - 1));
      assert.equal(await backend.get(KIND, HUGE_KEY), undefined);
    } finally {
      await backend.close();
    }
  });

  test('a flipped byte in a batch before the last is corruption, named at its offset', async () => {
    const copy = join(root, 'flipped');
    await cp(dir, copy, { recursive: true });
    const where = 9 * 1024 * 1024;
    const handle = await open(join(copy, LOG), 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, where);
      byte[0] = (byte[0] as number) ^ 0xff;
      await handle.write(byte, 0, 1, where);
    } finally {
      await handle.close();
    }
    await assert.rejects(openBackend(copy), (error: unknown) => {
      assert.ok(error instanceof CorruptLogError);
      const offset = error.details.offset as number;
      assert.ok(
        offset <= where && where - offset < 300_000,
        `offset ${offset} is the batch holding ${where}`,
      );
      return true;
    });
  });
});

describe('ChunkReader', () => {
  test('returns the exact bytes for reads within, across and larger than its chunk', async () => {
    const path = join(root, 'random.bin');
    const content = randomBytes(3 * 4096 + 123);
    await writeFile(path, content);
    const handle = await open(path, 'r');
    try {
      const reader = new ChunkReader(handle, content.length, 4096);
      for (const [offset, length] of [
        [0, 24],
        [24, 4000],
        [4000, 200],
        [100, 9000],
        [12_000, 1000],
        [content.length - 5, 100],
        [content.length, 16],
      ] as const) {
        const end = Math.min(content.length, offset + length);
        assert.deepEqual(
          await reader.at(offset, length),
          content.subarray(offset, end),
          `${offset}+${length}`,
        );
      }
    } finally {
      await handle.close();
    }
  });
});
