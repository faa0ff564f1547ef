import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import {
  dumpJsonLines,
  FileBackend,
  FileIoError,
  gvk,
  LocalProvider,
  MachineId,
  type ObjectKey,
} from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';

test('an instance dumps as sorted JSON lines, while it is open, without changing it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-dump-'));
  try {
    const dir = join(root, 'instance');
    const backend = new FileBackend(dir);
    const provider = new LocalProvider([{ name: 'file-x', backend }]);
    await provider.initialize(MachineId.generate());
    const objects = [
      makeObject({ name: 'b', namespace: 'default', data: { text: 'line\nbreak ✓' } }),
      makeObject({ name: 'a', namespace: 'default' }),
      makeObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'prod' }),
    ];
    for (const object of objects) await provider.putObject('file-x', object);
    await provider.putObject('file-x', makeObject({ name: 'gone', namespace: 'default' }));
    await provider.deleteObject('file-x', gvk('', 'v1', 'ConfigMap'), 'default/gone');
    await backend.put(gvk('', 'v1', 'Secret'), 'default/raw' as ObjectKey, Buffer.from('not json'));

    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const report = await dumpJsonLines(dir, out);
    out.end();
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      [
        { gvk: 'apps/v1/Deployment', key: 'prod/web', object: objects[2] },
        { gvk: 'core/v1/ConfigMap', key: 'default/a', object: objects[1] },
        { gvk: 'core/v1/ConfigMap', key: 'default/b', object: objects[0] },
        { gvk: 'core/v1/Secret', key: 'default/raw', invalid: true, bytes: 8 },
      ],
    );
    assert.equal(report.droppedBytes, 0);
    await provider.putObject('file-x', makeObject({ name: 'later', namespace: 'default' }));
    await provider.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('dumping a directory that does not exist is a typed FileIoError naming it', async () => {
  const missing = join(tmpdir(), `stowage-dump-missing-${process.pid}-${Date.now()}`);
  await assert.rejects(dumpJsonLines(missing, new PassThrough()), (error: unknown) => {
    assert.ok(error instanceof FileIoError);
    assert.equal(error.details.errno, 'ENOENT');
    assert.equal(error.details.file, missing);
    return true;
  });
});

test('a dump of an instance that another process compacts all the while reads every object: a file compacted away under it is read again', {
  timeout: 120_000,
}, async () => {
  const root = await mkdtemp(join(tmpdir(), 'stowage-dump-live-'));
  const dir = join(root, 'instance');
  const writer = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('../faults/file-compacting-writer.ts', import.meta.url).pathname,
      dir,
      '4',
      '5',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const lines = createInterface({ input: writer.stdout! })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready');
    const exited = once(writer, 'exit');
    let running = true;
    void exited.then(() => {
      running = false;
    });
    const failures: string[] = [];
    let dumps = 0;
    // Bounded by the writer (4 s and 5 compactions, a minute at most), and by a count.
    while (running && dumps < 5000) {
      dumps++;
      let count = 0;
      const out = new Writable({
        write(chunk: Buffer, _encoding, done) {
          count += chunk.toString().split('\n').length - 1;
          done();
        },
      });
      try {
        await dumpJsonLines(dir, out);
        if (count !== 200) failures.push(`${count} lines`);
      } catch (error) {
        failures.push(String(error));
      }
    }
    const { compactions } = JSON.parse((await lines.next()).value as string) as { compactions: number };
    // The writer goes on until it has compacted 5 times, so fewer means it hit its minute.
    assert.ok(compactions >= 5, `the writer compacted ${compactions} times`);
    // Before, a few in a hundred failed with STOWAGE_FILE_IO ENOENT.
    assert.deepEqual(failures, [], `${failures.length} of ${dumps} dumps failed`);
  } finally {
    writer.kill();
    await rm(root, { recursive: true, force: true });
  }
});
