import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writevFully, writevFullySync } from '../../src/backends/file/write-fully.js';

const PARTS = [
  Buffer.from('header:'),
  Buffer.alloc(0),
  Buffer.from('a value longer than the limit'),
  Buffer.from('!'),
];
const WHOLE = Buffer.concat(PARTS);

test('writes are cut to the write limit and land whole, at their position, through both paths', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-writev-'));
  try {
    const asyncPath = join(dir, 'async');
    const handle = await open(asyncPath, 'w');
    try {
      await writevFully(handle, PARTS, 3, 7);
    } finally {
      await handle.close();
    }
    const syncPath = join(dir, 'sync');
    const fd = openSync(syncPath, 'w');
    try {
      writevFullySync(fd, PARTS, 3, 7);
    } finally {
      closeSync(fd);
    }
    for (const path of [asyncPath, syncPath]) {
      assert.deepEqual(readFileSync(path), Buffer.concat([Buffer.alloc(3), WHOLE]), path);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a write count outside what was asked is an error, never a position to go on from', async () => {
  // Node reported a writev of 2 GiB or more as a negative count; the write went on at offset 0.
  for (const reported of [-2147483000, WHOLE.length + 1]) {
    const handle = { writev: async () => ({ bytesWritten: reported }) };
    await assert.rejects(
      writevFully(handle as never, PARTS, 100),
      new RegExp(`reported ${reported} bytes written`),
    );
  }
});
