import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorDiedError, MachineId } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { crashScenario, faultHarness } from './runtime-harness.js';

test('a worker stuck in a busy loop is detected by the age of its oldest task, terminated, and replaced; pending ops fail typed, acknowledged writes survive', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('hang-backend', { supervisor: { hangTimeoutMs: 300 } });
  try {
    await h.provider.initialize(MachineId.generate());
    await crashScenario(h, 'hang');
  } finally {
    await h.dispose();
  }
});

test('a hung worker is judged by hangTimeoutMs even while a probe waits behind the hung task, not only once that probe times out', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('hang-backend', {
    supervisor: { hangTimeoutMs: 300, probeTimeoutMs: 20_000 },
  });
  try {
    await h.provider.initialize(MachineId.generate());
    const started = performance.now();
    await assert.rejects(
      h.provider.putObject(h.faulty, makeObject({ name: 'boom', namespace: 'hang' })),
      (error: unknown) => error instanceof ActorDiedError && error.details.reason === 'hang',
    );
    const took = performance.now() - started;
    // Before, the probe sent into the hung worker held the age check off for its 20 s timeout.
    assert.ok(took < 10_000, `the hang was detected after ${Math.round(took)} ms`);
  } finally {
    await h.dispose();
  }
});
