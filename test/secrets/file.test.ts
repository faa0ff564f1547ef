import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { dumpJsonLines, MachineId } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import type { RecordChannel } from '../../src/secrets/record-channel.js';
import { EncryptedSecretProvider } from '../../src/secrets/secret-provider.js';
import { text, withSecrets } from './context.js';
import { filesUnder, fileTarget } from './file-target.js';
import { keyringOf, testKey } from './keys.js';
import { describeSecretCases } from './suite.js';

describeSecretCases(fileTarget);

test("the file backend's JSON dump shows secret records as ciphertext objects", () =>
  withSecrets(fileTarget, async ({ secrets, instance, storage }) => {
    await secrets(keyringOf(testKey('key1'))).putSecret(instance, 'prod', 'api-token', 'dump-plaintext-93e1');
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    await dumpJsonLines(storage.dir!, out);
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const record = lines.find((line) => line.gvk === 'internal.stowage.io/v1/EncryptedSecret');
    assert.ok(record, 'the dump lists the secret record');
    assert.equal(record.key, 'prod/api-token');
    assert.equal(record.object.keyId, 'key1');
    assert.ok(!text.includes('dump-plaintext-93e1'));
  }));

/** How many of the directory's files hold `text`, as bytes anywhere in them. */
async function filesHolding(dir: string, text: string): Promise<number> {
  const files = await Promise.all((await filesUnder(dir)).map((file) => readFile(file)));
  return files.filter((bytes) => bytes.includes(text)).length;
}

/**
 * Secrets under key1 and one deleted; rotation to key2 must leave none of their old records in the
 * files, where the directory and the retired key1 alone would read them (with the default policy a
 * small log is never compacted). Checks that the search finds them before the rotation.
 */
async function rotationLeavesNoOldRecords(
  channel: RecordChannel,
  instance: string,
  dir: string,
): Promise<void> {
  const [key1, key2] = [testKey('key1'), testKey('key2')];
  const before = new EncryptedSecretProvider(channel, keyringOf(key1));
  for (const name of ['a', 'b', 'c', 'gone-7f3e'])
    await before.putSecret(instance, 'ns', name, `value-${name}`);
  await before.deleteSecret(instance, 'ns', 'gone-7f3e');
  assert.ok((await filesHolding(dir, '"keyId":"key1"')) > 0, 'the search sees records under key1');
  assert.ok((await filesHolding(dir, 'gone-7f3e')) > 0, 'the search sees the deleted secret');
  const during = new EncryptedSecretProvider(channel, keyringOf(key2, key1));
  assert.deepEqual(await during.rotate(instance), { rotated: 3, unchanged: 0 });
  assert.equal(await filesHolding(dir, '"keyId":"key1"'), 0, 'no record under key1 is left');
  assert.equal(await filesHolding(dir, 'gone-7f3e'), 0, 'no trace of the deleted secret is left');
  const after = new EncryptedSecretProvider(channel, keyringOf(key2));
  assert.equal(text(await after.getSecret(instance, 'ns', 'b')), 'value-b');
}

test('a rotation compacts the instance: no record under the old key, and no deleted secret, is left in its files (LocalProvider)', () =>
  withSecrets(fileTarget, ({ channel, instance, storage }) =>
    rotationLeavesNoOldRecords(channel, instance, storage.dir!),
  ));

test('a rotation compacts the instance: no record under the old key, and no deleted secret, is left in its files (runtime)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-rotate-'));
  const provider = new RuntimeProvider([{ kind: 'file', dir }]);
  try {
    await provider.initialize(MachineId.generate());
    await rotationLeavesNoOldRecords(provider, provider.instances()[0]!, dir);
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
});
