import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStowage } from '../../src/app/open-stowage.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors/index.js';

test('configuration reaches the runtime: instances, mailbox and metrics', async () => {
  const config = loadConfig({
    env: {
      STOWAGE__instances: '[{"kind":"memory","name":"a"}]',
      STOWAGE__mailbox__capacity: '7',
      STOWAGE__pool__workerHeapMb: '64',
      STOWAGE__machineId: '"0f0c7a3e-1111-4222-8333-944445555666"',
    },
  });
  const stowage = await openStowage(config);
  try {
    const [instance] = stowage.provider.instances();
    assert.match(instance ?? '', /^memory-[0-9a-f]{12}$/);
    assert.equal(stowage.machineId.toString(), '0f0c7a3e-1111-4222-8333-944445555666');
    assert.equal(stowage.provider.snapshot().instances[0]?.queueCapacity, 7);
    assert.ok(stowage.metrics, 'metrics are on by default');
    assert.match(await stowage.metrics.registry.metrics(), /stowage_queue_capacity\{[^}]*\} 7/);
    assert.equal(stowage.secrets, undefined, 'no keyring configured, no secret provider');
  } finally {
    await stowage.close();
  }
});

test('a configuration built in code is checked as a file is: one ConfigError naming the field, not a TypeError', async () => {
  for (const [config, field] of [
    [null, ''],
    [{ instances: [{ kind: 'file' }] }, 'instances.0.dir'],
    [{ instances: [{ kind: 'memory', name: 'm' }], mailbox: { capcity: 1 } }, 'mailbox.capcity'],
    [{ instances: [{ kind: 'memory', name: 'm' }], secrets: null }, 'secrets'],
  ] as const) {
    await assert.rejects(
      openStowage(config as never),
      (error: unknown) => error instanceof ConfigError && error.details.field === field,
      JSON.stringify(config),
    );
  }
  // What loadConfig() returns passes unchanged.
  const stowage = await openStowage({
    ...loadConfig({ env: {} }),
    instances: [{ kind: 'memory', name: 'm' }],
  });
  await stowage.close();
});

test('a secret that does not decrypt is counted in stowage_secret_failures_total, at zero before it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-secret-metrics-'));
  const configWithKey = () => {
    const keyring = join(dir, `keyring-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(keyring, `keys:\n  - name: key1\n    secret: ${randomBytes(32).toString('base64')}\n`, {
      mode: 0o600,
    });
    return loadConfig({
      env: {
        STOWAGE__instances: JSON.stringify([{ kind: 'file', dir: join(dir, 'data') }]),
        STOWAGE__secrets__keyringFile: JSON.stringify(keyring),
      },
    });
  };
  const failures =
    /stowage_secret_failures_total\{[^}]*operation="get",reason="secret_decrypt_failed"\} (\d+)/;
  try {
    const writer = await openStowage(configWithKey());
    const [instance] = writer.provider.instances() as [string];
    try {
      await writer.secrets?.putSecret(instance, 'ns', 'token', 'value');
    } finally {
      await writer.close();
    }
    // Another key under the same id: the record is read, and does not decrypt.
    const reader = await openStowage(configWithKey());
    try {
      assert.equal(failures.exec(await reader.metrics!.registry.metrics())?.[1], '0');
      await assert.rejects(
        reader.secrets!.getSecret(instance, 'ns', 'token'),
        /STOWAGE_SECRET_DECRYPT_FAILED|failed authentication/,
      );
      assert.equal(failures.exec(await reader.metrics!.registry.metrics())?.[1], '1');
      // An unknown instance name is refused, and becomes no label value.
      await assert.rejects(reader.secrets!.getSecret('made-up-store', 'ns', 'token'), /made-up-store/);
      reader.metrics!.secretFailed('made-up-store', 'get', 'STOWAGE_SECRET_CORRUPT');
      assert.doesNotMatch(await reader.metrics!.registry.metrics(), /made-up-store/);
      // The rewording of a name's refusal leaves the caller's quoted name as it was.
      await assert.rejects(
        reader.secrets!.getSecret(instance, 'ns', 'x for EncryptedSecret'),
        (error: unknown) =>
          error instanceof Error &&
          error.message === 'secret name "x for EncryptedSecret" is not a valid name for a secret',
      );
    } finally {
      await reader.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
