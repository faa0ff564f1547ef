import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MachineId } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { CONFIG_MAP, faultHarness } from './runtime-harness.js';

for (const [mode, reason] of [
  ['fail', 'probe'],
  ['stall', 'hang'],
] as const) {
  test(`probes that ${mode} ${3} times in a row restart the actor (reason ${reason})`, {
    timeout: 60_000,
  }, async () => {
    const h = await faultHarness(
      'probe-backend',
      { supervisor: { probeFailureThreshold: 3, probeTimeoutMs: 100, hangTimeoutMs: 60_000 } },
      { mode, badProbes: 3 },
    );
    try {
      await h.provider.initialize(MachineId.generate());
      const kept = makeObject({ name: 'boom', namespace: 'probe' });
      await h.provider.putObject(h.faulty, kept);
      await h.observer.until(() => h.observer.statesOf(h.faulty).length >= 3);
      assert.deepEqual(h.observer.statesOf(h.faulty), ['up:up', `down:${reason}`, 'up:up']);
      assert.deepEqual(h.observer.restarts, [{ store: h.faulty, reason }]);
      const failed = h.observer.probes.filter((p) => p.store === h.faulty && !p.ok).length;
      assert.ok(failed >= 3, `${failed} failed probes reported`);
      assert.deepEqual(await h.provider.getObject(h.faulty, CONFIG_MAP, 'probe/boom'), kept);
      assert.deepEqual(h.observer.statesOf(h.healthy), ['up:up']);
    } finally {
      await h.dispose();
    }
  });
}
