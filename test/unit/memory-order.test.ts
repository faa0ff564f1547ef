import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_OBJECTS_PER_KIND } from '../../src/backends/backend.js';
import {
  gvk,
  LocalProvider,
  MachineId,
  MemoryBackend,
  type ObjectKey,
  TooManyObjectsError,
} from '../../src/index.js';

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

test('a kind at the most objects a Map holds refuses new objects typed, and still takes overwrites', async () => {
  /** A kind as full as the limit, without filling 16 million entries. */
  class FullKind extends Map<ObjectKey, Uint8Array> {
    override get size(): number {
      return MAX_OBJECTS_PER_KIND;
    }
  }
  const full = new FullKind([['d/kept' as ObjectKey, Buffer.from('{}')]]);
  const backend = new MemoryBackend(new Map([['core/v1/ConfigMap', full]]));
  const configMap = gvk('', 'v1', 'ConfigMap');
  // Before, past 2^24 the Map threw a raw RangeError.
  await assert.rejects(backend.put(configMap, 'd/new' as ObjectKey, Buffer.from('{}')), TooManyObjectsError);
  await backend.put(configMap, 'd/kept' as ObjectKey, Buffer.from('{"v":2}'));
  assert.equal(Buffer.from((await backend.get(configMap, 'd/kept' as ObjectKey))!).toString(), '{"v":2}');
});
