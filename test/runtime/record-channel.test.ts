import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MachineId, RESERVED_GROUP, ReservedGroupError } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { fixtureModule, RecordingObserver } from '../faults/runtime-harness.js';

const SECRET = { group: RESERVED_GROUP, version: 'v1', kind: 'Secret' };

test('the internal record channel crosses to the worker as bytes; public calls cannot reach it', async () => {
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'records' }]);
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    await provider.putRecord(instance, SECRET, 'ns/s1', bytes);
    assert.deepEqual(await provider.getRecord(instance, SECRET, 'ns/s1'), bytes);
    assert.deepEqual(
      (await provider.listRecords(instance, SECRET)).map((r) => [r.key, [...r.bytes]]),
      [['ns/s1', [0, 1, 2, 254, 255]]],
    );
    await assert.rejects(provider.getAllObjects(instance, SECRET), ReservedGroupError);
    await assert.rejects(provider.getObject(instance, SECRET, 'ns/s1'), ReservedGroupError);
    assert.equal(await provider.deleteRecord(instance, SECRET, 'ns/s1'), true);
    assert.equal(await provider.getRecord(instance, SECRET, 'ns/s1'), undefined);
    assert.equal(await provider.deleteRecord(instance, SECRET, 'ns/s1'), false);
  } finally {
    await provider.close();
  }
});

test('a record listing longer than the hang timeout crosses in pages and kills no worker', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-records-'));
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider(
    [
      {
        kind: 'module',
        module: fixtureModule('slow-list-backend'),
        name: 'slow-list',
        options: { dir, delayMs: 60 },
      },
    ],
    {
      allowModuleBackends: true,
      listPageSize: 2,
      supervisor: { hangTimeoutMs: 300, probeIntervalMs: 50 },
      observer,
    },
  );
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const keys = Array.from({ length: 12 }, (_, i) => `ns/s${String(i).padStart(2, '0')}`);
    for (const key of keys) await provider.putRecord(instance, SECRET, key, new Uint8Array([1, 2, 3]));
    // 12 records at 60 ms each: 720 ms in all, 120 ms a page, against a hang timeout of 300 ms.
    const records = await provider.listRecords(instance, SECRET);
    assert.deepEqual(records.map((r) => r.key).sort(), keys);
    assert.deepEqual(observer.restarts, [], 'no worker was taken for hung');
    assert.equal(provider.instanceStatus(instance).status, true);
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
});
