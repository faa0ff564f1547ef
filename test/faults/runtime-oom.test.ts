import { test } from 'node:test';
import { MachineId } from '../../src/index.js';
import { crashScenario, faultHarness } from './runtime-harness.js';

test('a worker that runs out of heap under resourceLimits is replaced; pending ops fail typed, acknowledged writes survive', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('oom-backend', { resourceLimits: { maxOldGenerationSizeMb: 64 } });
  try {
    await h.provider.initialize(MachineId.generate());
    await crashScenario(h, 'oom');
  } finally {
    await h.dispose();
  }
});
