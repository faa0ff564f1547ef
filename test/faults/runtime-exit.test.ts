import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MachineId } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { CONFIG_MAP, crashScenario, faultHarness } from './runtime-harness.js';

test('a worker that exits mid-operation is replaced; pending ops fail typed, acknowledged writes survive', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('exit-backend');
  try {
    await h.provider.initialize(MachineId.generate());
    await crashScenario(h, 'exit');
  } finally {
    await h.dispose();
  }
});

test('a worker that exits while idle is noticed without any task failing, and replaced', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('exit-backend');
  try {
    await h.provider.initialize(MachineId.generate());
    const acked = makeObject({ name: 'exit-later', namespace: 'faults' });
    await h.provider.putObject(h.faulty, acked);
    await h.observer.until(() => h.observer.statesOf(h.faulty).length >= 3);
    assert.deepEqual(h.observer.statesOf(h.faulty), ['up:up', 'down:exit', 'up:up']);
    // From piscina's error event ("worker exited with code: 3") or its exit event ("worker exited").
    assert.match(
      h.observer.states.find((s) => s.store === h.faulty && !s.up)?.detail ?? '',
      /^worker exited/,
    );
    assert.deepEqual(h.observer.restarts, [{ store: h.faulty, reason: 'exit' }]);
    assert.deepEqual(await h.provider.getObject(h.faulty, CONFIG_MAP, 'faults/exit-later'), acked);
  } finally {
    await h.dispose();
  }
});

const HOW = {
  exit: 'exits',
  hang: 'hangs and is terminated',
  syscall: 'is stuck in a system call past its termination',
} as const;

for (const fault of ['exit', 'hang', 'syscall'] as const) {
  test(`a real file instance whose worker ${HOW[fault]} is restarted: the replacement takes over the lock the dead thread left, and acknowledged writes survive`, {
    timeout: 60_000,
  }, async () => {
    // A second, not less: a loaded machine (a forced collection every 100 ms in a stress run) took
    // ordinary puts to a fresh worker past 300 ms, and the exit was reported as a hang.
    const supervisor = fault === 'exit' ? {} : { hangTimeoutMs: 1000 };
    const h = await faultHarness('file-fault-backend', { supervisor }, { fault });
    try {
      await h.provider.initialize(MachineId.generate());
      await crashScenario(h, fault === 'exit' ? 'exit' : 'hang');
    } finally {
      await h.dispose();
    }
  });
}
