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
