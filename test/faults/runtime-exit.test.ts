import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClosedError, MachineId } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { CONFIG_MAP, crashScenario, faultHarness, putBoom } from './runtime-harness.js';

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

test('a worker stuck in a system call for longer than openTimeoutMs: every later start waits for its thread again, and the instance comes back once it ends, not stopped by the restart limit', {
  timeout: 60_000,
}, async () => {
  // The wait (1.5 s) ends long before the thread (8 s after the put), and the start after it meets
  // the live lock. Before, the starts after that one did not wait, and each met the lock in turn,
  // a worker's start apart, until the restart limit stopped the instance.
  const h = await faultHarness(
    'file-fault-backend',
    { supervisor: { hangTimeoutMs: 1000, openTimeoutMs: 1500 } },
    { fault: 'syscall', syscallSeconds: 8 },
  );
  try {
    await h.provider.initialize(MachineId.generate());
    const acked = makeObject({ name: 'acked', namespace: 'faults' });
    await h.provider.putObject(h.faulty, acked);
    await putBoom(h, 'hang');
    const states = () => h.observer.statesOf(h.faulty);
    await h.observer.until(() => states().at(-1) === 'up:up' || states().includes('down:intensity'));
    const afterHang = states().slice(states().indexOf('down:hang'));
    assert.ok(afterHang.includes('down:initialize'), `a start met the live lock: ${afterHang}`);
    assert.equal(afterHang.at(-1), 'up:up', `back up, not stopped: ${afterHang}`);
    assert.deepEqual(await h.provider.getObject(h.faulty, CONFIG_MAP, 'faults/acked'), acked);
  } finally {
    await h.dispose();
  }
});

test('close() during a restart that waits for a stuck thread ends the wait: the restart rejects with ClosedError at once, not when the thread ends', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'file-fault-backend',
    { supervisor: { hangTimeoutMs: 1000 } },
    { fault: 'syscall', syscallSeconds: 8 },
  );
  try {
    await h.provider.initialize(MachineId.generate());
    const stuckAt = performance.now();
    await putBoom(h, 'hang');
    // Joins the start that waits for the stuck thread (restartInstance joins a start under way).
    const restart = h.provider.restartInstance(h.faulty);
    let settledAt = 0;
    const outcome = restart
      .then(
        () => 'restarted',
        (error: unknown) => (error instanceof ClosedError ? 'closed' : String(error)),
      )
      .finally(() => {
        settledAt = performance.now();
      });
    // close() itself waits for the stuck thread to end (up to TERMINATE_GRACE_MS), so the process
    // can exit after it; the restart must not wait with it.
    await h.provider.close();
    assert.equal(await outcome, 'closed');
    // Before, the wait went on polling after close() until the thread ended, 8 s after the put.
    const waited = settledAt - stuckAt;
    assert.ok(waited < 6_000, `the restart ended ${Math.round(waited)} ms after the put, not at close()`);
  } finally {
    await h.dispose();
  }
});
