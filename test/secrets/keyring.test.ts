import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  ConfigError,
  KeyringInsecureError,
  KeyringInvalidError,
  UnknownInstanceError,
} from '../../src/errors/index.js';
import { LocalProvider, MachineId, MemoryBackend } from '../../src/index.js';
import { Keyring, parseKeyring } from '../../src/secrets/keyring.js';
import { keyringFromEnv, loadKeyringFile } from '../../src/secrets/keyring-source.js';
import { EncryptedSecretProvider } from '../../src/secrets/secret-provider.js';
import { ObjectStore } from '../../src/store/object-store.js';
import { keyForms, keyringOf, keyringYaml, testKey } from './keys.js';

const key1 = testKey('key1');
const key2 = testKey('key2');

/** Fails if the error's message, details or stack contain any form of the key. */
function assertNoKeyIn(error: unknown, ...keys: (typeof key1)[]): void {
  const text = `${(error as Error).message} ${JSON.stringify((error as { details?: unknown }).details)} ${(error as Error).stack}`;
  for (const key of keys)
    for (const form of keyForms(key)) assert.ok(!text.includes(form), 'error leaks key material');
}

describe('keyring file permissions', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stowage-keyring-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function keyFile(name: string, mode: number): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, keyringYaml(key2, key1));
    await chmod(path, mode); // explicit: writeFile's mode is filtered by the umask
    return path;
  }

  test('mode 0600 is accepted; the first key is primary and every key is held', async () => {
    const keyring = await loadKeyringFile(await keyFile('ok', 0o600));
    assert.equal(keyring.primaryId, 'key2');
    assert.deepEqual(keyring.ids(), ['key2', 'key1']);
  });

  test('mode 0400 (stricter) is accepted', async () => {
    assert.equal((await loadKeyringFile(await keyFile('readonly', 0o400))).primaryId, 'key2');
  });

  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o610]) {
    test(`mode 0${mode.toString(8)} is refused with KeyringInsecureError`, async () => {
      const path = await keyFile(`m${mode.toString(8)}`, mode);
      await assert.rejects(loadKeyringFile(path), (error: unknown) => {
        assert.ok(error instanceof KeyringInsecureError);
        assert.equal(error.code, 'STOWAGE_KEYRING_INSECURE');
        assert.equal(error.details.mode, `0${mode.toString(8)}`);
        assertNoKeyIn(error, key1, key2);
        return true;
      });
    });
  }

  test('a symlink is followed, and the mode checked is that of the target file', async () => {
    const target = await keyFile('target-open', 0o644);
    await symlink(target, join(dir, 'link'));
    await assert.rejects(loadKeyringFile(join(dir, 'link')), KeyringInsecureError);
    await chmod(target, 0o600);
    assert.equal((await loadKeyringFile(join(dir, 'link'))).primaryId, 'key2');
  });

  test('a missing file is KeyringInvalidError', async () => {
    await assert.rejects(loadKeyringFile(join(dir, 'absent')), KeyringInvalidError);
  });

  test('a directory is refused', async () => {
    await assert.rejects(loadKeyringFile(dir), KeyringInvalidError);
  });

  test('a FIFO is refused at once instead of waiting for a writer', { timeout: 10_000 }, async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    await assert.rejects(loadKeyringFile(fifo), /not a regular file/);
  });
});

describe('keyring parsing', () => {
  test('JSON is accepted as well as YAML', () => {
    const text = JSON.stringify({ keys: [{ name: key1.id, secret: key1.base64 }] });
    assert.equal(parseKeyring(text, 'test').primaryId, 'key1');
  });

  test('a keyring cut short is refused as not YAML or JSON, even where what came before it would be a keyring', () => {
    const whole = JSON.stringify({ keys: [{ name: key1.id, secret: key1.base64 }] });
    for (const text of [whole.slice(0, -2), 'keys: [', `keys:\n  - {name: key1, secret: ${key1.base64}`]) {
      assert.throws(
        () => parseKeyring(text, 'test'),
        (error: unknown) => {
          assert.ok(error instanceof KeyringInvalidError, String(error));
          assert.equal(error.message, 'keyring test is not valid YAML or JSON');
          return true;
        },
        text,
      );
    }
  });

  const bad: [string, string][] = [
    ['not YAML', `keys: [\n  - name: key1\n    secret: "${key1.base64}`],
    ['no keys list', 'other: 1'],
    ['an empty list', 'keys: []'],
    ['a short key', `keys:\n  - name: k\n    secret: ${key1.secret.subarray(0, 16).toString('base64')}\n`],
    [
      'a long key',
      `keys:\n  - name: k\n    secret: ${Buffer.concat([key1.secret, key2.secret]).toString('base64')}\n`,
    ],
    ['non-base64', `keys:\n  - name: k\n    secret: "${key1.base64.replace(/.$/, '!')}"\n`],
    ['a bad key name', `keys:\n  - name: Key_1\n    secret: ${key1.base64}\n`],
    ['a duplicate key name', keyringYaml(key1, { ...key2, id: 'key1' })],
    // Misspelled or unknown fields were ignored; the second could hold a key that lost its colon.
    ['an unknown top-level field', `${keyringYaml(key1)}extra: 1\n`],
    ['an unknown field in a key', `keys:\n  - name: key1\n    secret: ${key1.base64}\n    secrets: x\n`],
    ['key material as a key', `keys:\n  - name: key1\n    secret: ${key1.base64}\n    ${key2.base64}: x\n`],
  ];
  for (const [what, text] of bad) {
    test(`${what} is KeyringInvalidError without key material`, () => {
      assert.throws(
        () => parseKeyring(text, 'test'),
        (error: unknown) => {
          assert.ok(error instanceof KeyringInvalidError, String(error));
          assertNoKeyIn(error, key1, key2);
          if (what.includes('unknown')) assert.match(error.message, /is not a keyring field/);
          return true;
        },
      );
    });
  }

  test('a keyring shows ids only when logged or serialized', () => {
    const keyring = parseKeyring(keyringYaml(key2, key1), 'test');
    const shown = `${inspect(keyring, { showHidden: true, depth: 10 })} ${JSON.stringify(keyring)} ${String(keyring)}`;
    for (const form of [...keyForms(key1), ...keyForms(key2)]) assert.ok(!shown.includes(form));
    assert.match(shown, /key2/);
    assert.equal(String(keyring), 'Keyring { primary: key2, ids: [key2, key1] }');
    assert.equal(`${keyring}`, String(keyring));
  });
});

describe('keyring from the environment', () => {
  test('reads the same format from STOWAGE_SECRET_KEYRING', () => {
    const keyring = keyringFromEnv(undefined, { STOWAGE_SECRET_KEYRING: keyringYaml(key1, key2) });
    assert.deepEqual(keyring.ids(), ['key1', 'key2']);
  });

  test('an unset variable is KeyringInvalidError naming the variable', () => {
    assert.throws(
      () => keyringFromEnv('MY_KEYS', {}),
      (error: unknown) => {
        assert.ok(error instanceof KeyringInvalidError);
        assert.equal(error.details.source, 'env:MY_KEYS');
        return true;
      },
    );
  });

  test("the keyring's own text given as the variable's name, or as the file's path, is refused unquoted", async () => {
    const text = keyringYaml(key1, key2);
    const unquoted = (error: unknown) => {
      assert.ok(error instanceof KeyringInvalidError, String(error));
      assert.ok(!JSON.stringify(error.toWire()).includes(key1.base64), error.message);
      return true;
    };
    assert.throws(() => keyringFromEnv(text, {}), unquoted);
    await assert.rejects(loadKeyringFile(text), unquoted);
  });
});

test('a keyring or a secret provider built from the wrong arguments is refused at once, typed, not with a TypeError at first use', async () => {
  for (const keys of [null, 'ab', [null], [5]]) {
    assert.throws(() => Keyring.fromKeys(keys as never), KeyringInvalidError, JSON.stringify(keys));
  }
  const channel = new LocalProvider([{ name: 'm', backend: new MemoryBackend() }]);
  assert.throws(() => new EncryptedSecretProvider(channel, {} as never), KeyringInvalidError);
  for (const bad of [null, {}, { getRecord() {} }, new ObjectStore(new MemoryBackend())]) {
    assert.throws(() => new EncryptedSecretProvider(bad as never, keyringOf(key1)), ConfigError);
  }
  // An instance that is no name is unknown, as the object calls and listSecrets say.
  await channel.initialize(MachineId.generate());
  const secrets = new EncryptedSecretProvider(channel, keyringOf(key1));
  for (const instance of [null, '']) {
    await assert.rejects(secrets.putSecret(instance as never, 'ns', 'a', 'v'), UnknownInstanceError);
    await assert.rejects(secrets.getSecret(instance as never, 'ns', 'a'), UnknownInstanceError);
    await assert.rejects(secrets.listSecrets(instance as never), UnknownInstanceError);
  }
  await channel.close();
});
