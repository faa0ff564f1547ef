import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { dumpJsonLines } from '../../src/index.js';
import { withSecrets } from './context.js';
import { fileTarget } from './file-target.js';
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
