import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EncryptedSecretProvider,
  FileIoError,
  instanceName,
  LocalProvider,
  MachineId,
  MemoryBackend,
} from '../../src/index.js';
import type { RecordChannel } from '../../src/secrets/record-channel.js';
import { text } from './context.js';
import { keyringOf, testKey } from './keys.js';

/**
 * A channel whose first read of one record after arm() waits until released: it holds a rotation
 * between its read of that record and its write of it, the gap another provider's put could fall into.
 */
function gatedChannel(inner: LocalProvider) {
  let release = () => {};
  let reached = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reachedGate = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let armed = false;
  const channel: RecordChannel = {
    putRecord: (...args) => inner.putRecord(...args),
    deleteRecord: (...args) => inner.deleteRecord(...args),
    listRecords: (...args) => inner.listRecords(...args),
    compact: (instance) => inner.compact(instance),
    async getRecord(...args) {
      const bytes = await inner.getRecord(...args);
      if (armed && args[2] === 'ns/a') {
        armed = false;
        reached();
        await gate;
      }
      return bytes;
    },
  };
  const arm = () => {
    armed = true;
  };
  return { channel, arm, reached: reachedGate, release };
}

for (const change of ['put', 'delete'] as const) {
  test(`a ${change} through another provider over the same channel, made while rotate() has read the secret, is not undone by the rotation`, async () => {
    const key1 = testKey('key1');
    const key2 = testKey('key2');
    const instance = instanceName('memory', 'rotation-race');
    const provider = new LocalProvider([{ name: instance, backend: new MemoryBackend() }]);
    await provider.initialize(MachineId.generate());
    try {
      const { channel, arm, reached, release } = gatedChannel(provider);
      const old = new EncryptedSecretProvider(channel, keyringOf(key1));
      await old.putSecret(instance, 'ns', 'a', 'value-1');
      // The rebuilt provider of docs/secrets.md's rotation, while the old one keeps serving.
      const rebuilt = new EncryptedSecretProvider(channel, keyringOf(key2, key1));
      arm();
      const rotation = rebuilt.rotate(instance);
      await reached;
      const made =
        change === 'put'
          ? old.putSecret(instance, 'ns', 'a', 'value-2')
          : old.deleteSecret(instance, 'ns', 'a');
      // Before the order was shared, the change completed here, inside the rotation's gap.
      const settledFirst = await Promise.race([made.then(() => true), sleep(200).then(() => false)]);
      release();
      assert.equal(settledFirst, false, 'the change waits for the rotation of that secret');
      assert.deepEqual(await rotation, { rotated: 1, unchanged: 0 });
      await made;
      const value = await rebuilt.getSecret(instance, 'ns', 'a');
      assert.equal(value === undefined ? undefined : text(value), change === 'put' ? 'value-2' : undefined);
    } finally {
      await provider.close();
    }
  });
}

test("a rotation whose compaction fails says what it did, typed as that failure; a channel of the caller's own without compact is still taken", async () => {
  const key1 = testKey('key1');
  const key2 = testKey('key2');
  const instance = instanceName('memory', 'rotation-compaction');
  const provider = new LocalProvider([{ name: instance, backend: new MemoryBackend() }]);
  await provider.initialize(MachineId.generate());
  try {
    const withoutCompact: RecordChannel = {
      putRecord: (...args) => provider.putRecord(...args),
      getRecord: (...args) => provider.getRecord(...args),
      deleteRecord: (...args) => provider.deleteRecord(...args),
      listRecords: (...args) => provider.listRecords(...args),
    };
    const failing: RecordChannel = {
      ...withoutCompact,
      compact: () =>
        Promise.reject(
          new FileIoError('compact snapshot-2 skipped: no room', { op: 'compact', errno: 'ENOSPC' }),
        ),
    };
    const before = new EncryptedSecretProvider(withoutCompact, keyringOf(key1));
    for (const name of ['a', 'b']) await before.putSecret(instance, 'ns', name, `value-${name}`);
    await assert.rejects(
      new EncryptedSecretProvider(failing, keyringOf(key2, key1)).rotate(instance),
      (error: unknown) =>
        error instanceof FileIoError &&
        error.details.errno === 'ENOSPC' &&
        /^re-encrypted 2 secret\(s\) under the primary key \(0 already were\), but the compaction .*: compact snapshot-2 skipped: no room$/.test(
          error.message,
        ),
    );
    const after = new EncryptedSecretProvider(withoutCompact, keyringOf(key2, key1));
    assert.deepEqual(await after.rotate(instance), { rotated: 0, unchanged: 2 });
  } finally {
    await provider.close();
  }
});
