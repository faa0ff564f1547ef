import { test } from 'node:test';
import { MachineId } from '../../src/index.js';
import { crashScenario, faultHarness } from './runtime-harness.js';

test('a worker that throws an uncaught error mid-operation is replaced; pending ops fail typed, acknowledged writes survive', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('throw-backend');
  try {
    await h.provider.initialize(MachineId.generate());
    await crashScenario(h, 'error', /died \(error: fixture: uncaught exception in the worker\)/);
  } finally {
    await h.dispose();
  }
});
