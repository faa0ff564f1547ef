import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, RestartIntensity } from '../../src/runtime/restart-policy.js';

test('restart intensity allows R restarts within T and refuses the next; old ones age out', () => {
  const intensity = new RestartIntensity(2, 1000);
  assert.equal(intensity.record(0), true);
  assert.equal(intensity.record(100), true);
  assert.equal(intensity.record(200), false, 'a third restart within 1 s exceeds R=2');
  assert.equal(intensity.recent(1100), 1, 'restarts at 0 and 100 have aged out by 1100');
  assert.equal(intensity.record(1250), true, 'only 200 remains in the window');
  intensity.reset();
  assert.equal(intensity.recent(1250), 0);
});

test('backoff doubles from the base and stops at the ceiling', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10, 1000].map((attempt) => backoffMs(attempt, 100, 1000)),
    [100, 200, 400, 800, 1000, 1000, 1000],
  );
});
