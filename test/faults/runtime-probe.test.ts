import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidObjectError, MachineId } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { CONFIG_MAP, faultHarness } from './runtime-harness.js';

// A failing probe answers at once, so three rounds make three calls; a stalled one is joined by
// the next rounds (ActorRef.probes), so one call stalls them all.
for (const [mode, reason, badProbes] of [
  ['fail', 'probe', 3],
  ['stall', 'hang', 1],
] as const) {
  test(`probes that ${mode} ${3} times in a row restart the actor (reason ${reason})`, {
    timeout: 60_000,
  }, async () => {
    const h = await faultHarness(
      'probe-backend',
      { supervisor: { probeFailureThreshold: 3, probeTimeoutMs: 100, hangTimeoutMs: 60_000 } },
      { mode, badProbes },
    );
    try {
      await h.provider.initialize(MachineId.generate());
      const kept = makeObject({ name: 'boom', namespace: 'probe' });
      await h.provider.putObject(h.faulty, kept);
      await h.observer.until(() => h.observer.statesOf(h.faulty).length >= 3);
      assert.deepEqual(h.observer.statesOf(h.faulty), ['up:up', `down:${reason}`, 'up:up']);
      assert.equal(
        h.observer.states.find((s) => s.store === h.faulty && !s.up)?.detail,
        mode === 'fail' ? 'fixture: the backend cannot persist' : 'probe timed out',
        'the state change says what failed',
      );
      assert.deepEqual(h.observer.restarts, [{ store: h.faulty, reason }]);
      const failed = h.observer.probes.filter((p) => p.store === h.faulty && !p.ok).length;
      assert.ok(failed >= 3, `${failed} failed probes reported`);
      assert.deepEqual(await h.provider.getObject(h.faulty, CONFIG_MAP, 'probe/boom'), kept);
      assert.deepEqual(h.observer.statesOf(h.healthy), ['up:up']);
      // And it stays up: the fault was spent on one worker, not one per restart.
      const healthyProbes = () => h.observer.probes.filter((p) => p.store === h.faulty && p.ok).length;
      const since = healthyProbes();
      await h.observer.until(() => healthyProbes() >= since + 3);
      assert.deepEqual(h.observer.restarts, [{ store: h.faulty, reason }]);
    } finally {
      await h.dispose();
    }
  });
}

test('probes that stall take one task slot between them, so a batch is never held back behind them', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness(
    'probe-backend',
    {
      maxBatchesInFlight: 2,
      supervisor: {
        probeIntervalMs: 50,
        probeTimeoutMs: 50,
        probeFailureThreshold: 40,
        hangTimeoutMs: 60_000,
      },
    },
    { mode: 'stall', badProbes: 1000 },
  );
  try {
    await h.provider.initialize(MachineId.generate());
    await h.provider.putObject(h.faulty, makeObject({ name: 'boom', namespace: 'probe' }));
    // Several rounds of probes time out meanwhile; each used to leave one more task in the worker.
    await h.observer.until(() => h.observer.probes.filter((p) => p.store === h.faulty && !p.ok).length >= 6);
    // Structured clone refuses this one: told apart from a dead worker only if it was posted at once.
    const bad = makeObject({ name: 'bad', namespace: 'probe', data: { big: 'x'.repeat(10_000) } });
    (bad as unknown as { data: Record<string, unknown> }).data.fn = () => undefined;
    await assert.rejects(h.provider.putObject(h.faulty, bad), InvalidObjectError);
    assert.deepEqual(h.observer.restarts, []);
    assert.equal(h.provider.instanceStatus(h.faulty).status, true);
  } finally {
    await h.dispose();
  }
});
