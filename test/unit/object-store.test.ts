import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CorruptObjectError,
  gvk,
  LocalProvider,
  MachineId,
  MemoryBackend,
  type ObjectKey,
} from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');

test('bytes stored under one address that hold another object are a CorruptObjectError, never passed off as the object asked for', async () => {
  const backend = new MemoryBackend();
  const provider = new LocalProvider([{ name: 'memory-test', backend }]);
  await provider.initialize(MachineId.generate());
  try {
    await provider.putObject('memory-test', makeObject({ name: 'good', namespace: 'default' }));
    const good = (await backend.get(CONFIG_MAP, 'default/good' as ObjectKey))!;
    // Another writer of the same storage: good's bytes under another name, and a Secret's under a
    // ConfigMap's address.
    await backend.put(CONFIG_MAP, 'default/other' as ObjectKey, good);
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'wrongkind', namespace: 'default' },
    };
    await backend.put(CONFIG_MAP, 'default/wrongkind' as ObjectKey, Buffer.from(JSON.stringify(secret)));
    for (const [key, holds] of [
      ['default/other', 'core/v1/ConfigMap default/good'],
      ['default/wrongkind', 'core/v1/Secret default/wrongkind'],
    ] as const) {
      await assert.rejects(provider.getObject('memory-test', CONFIG_MAP, key), (error: unknown) => {
        assert.ok(error instanceof CorruptObjectError, String(error));
        assert.match(error.message, new RegExp(`holds another object: ${holds}`));
        return true;
      });
    }
    await assert.rejects(provider.getAllObjects('memory-test', CONFIG_MAP), CorruptObjectError);
    assert.equal(
      (await provider.getObject('memory-test', CONFIG_MAP, 'default/good'))?.metadata.name,
      'good',
    );
  } finally {
    await provider.close();
  }
});

test('a stored record that is not JSON is a CorruptObjectError that says where parsing stopped, without quoting the record', async () => {
  const backend = new MemoryBackend();
  const provider = new LocalProvider([{ name: 'memory-test', backend }]);
  await provider.initialize(MachineId.generate());
  try {
    for (const [stored, stop] of [
      ['password=hunter2', /16 bytes that do not parse$/],
      ['{"data":"hunter2', /16 bytes that stop parsing at position 16$/],
    ] as const) {
      await backend.put(CONFIG_MAP, 'default/bad' as ObjectKey, Buffer.from(stored));
      await assert.rejects(provider.getObject('memory-test', CONFIG_MAP, 'default/bad'), (error: unknown) => {
        assert.ok(error instanceof CorruptObjectError, String(error));
        // V8's own message quoted the text around the fault: "password=h"... is not valid JSON.
        assert.ok(!error.message.includes('hunter2') && !error.message.includes('password'), error.message);
        assert.match(error.message, stop);
        return true;
      });
    }
  } finally {
    await provider.close();
  }
});
