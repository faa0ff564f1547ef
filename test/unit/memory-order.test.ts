import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gvk, LocalProvider, MachineId, MemoryBackend } from '../../src/index.js';

const KIND = gvk('', 'v1', 'ConfigMap');
const version = (v: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 't', namespace: 'default' },
  data: { v },
});

test('memory behind LocalProvider: calls on one key complete in the order they were submitted', async () => {
  const provider = new LocalProvider([{ name: 'memory-order', backend: new MemoryBackend() }]);
  await provider.initialize(MachineId.generate());
  try {
    await provider.putObject('memory-order', version('0'));
    const completed: string[] = [];
    await Promise.all([
      provider.deleteObject('memory-order', KIND, 'default/t').then(() => completed.push('1 delete')),
      provider.putObject('memory-order', version('2')).then(() => completed.push('2 put')),
      provider
        .getObject('memory-order', KIND, 'default/t')
        .then((object) => completed.push(`3 get ${(object?.data as { v: string } | undefined)?.v}`)),
      provider.deleteObject('memory-order', KIND, 'default/t').then(() => completed.push('4 delete')),
      provider.putObject('memory-order', version('5')).then(() => completed.push('5 put')),
    ]);
    assert.deepEqual(completed, ['1 delete', '2 put', '3 get 2', '4 delete', '5 put']);
  } finally {
    await provider.close();
  }
});
