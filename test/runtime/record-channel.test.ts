import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MachineId, RESERVED_GROUP, ReservedGroupError } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';

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
