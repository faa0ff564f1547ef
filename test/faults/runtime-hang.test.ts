import { test } from 'node:test';
import { MachineId } from '../../src/index.js';
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
