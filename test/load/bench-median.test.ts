import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedRatios, withRuns } from '../../bench/median.js';

test('a goal ratio is the median of the runs own ratios, never a ratio of medians taken from different runs', () => {
  // Medians: runtime 80, direct 100, so a ratio of medians would say 0.80; no run measured that.
  const ratios = pairedRatios([95, 80, 60], [100, 100, 62]);
  assert.equal(withRuns(ratios), '0.95 (runs 0.95 / 0.80 / 0.97)');
  assert.equal(withRuns([0.3, 0.5], '×'), '0.40× (runs 0.30× / 0.50×)');
});
