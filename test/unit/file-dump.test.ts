import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
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
