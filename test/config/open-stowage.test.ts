import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStowage } from '../../src/app/open-stowage.js';
import { loadConfig } from '../../src/config/load.js';

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
