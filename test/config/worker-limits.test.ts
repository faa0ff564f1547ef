import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { workerResourceLimits } from '../../src/config/worker-limits.js';
import { ConfigError } from '../../src/errors/config-errors.js';

test('pool.workerHeapMb and pool.workerYoungGenerationMb become the workers’ resource limits', () => {
  const config = loadConfig({
    env: { STOWAGE__pool__workerHeapMb: '64', STOWAGE__pool__workerYoungGenerationMb: '8' },
  });
  assert.deepEqual(workerResourceLimits(config.pool), {
    maxOldGenerationSizeMb: 64,
    maxYoungGenerationSizeMb: 8,
  });
  const youngOnly = loadConfig({ env: { STOWAGE__pool__workerYoungGenerationMb: '16' } });
  assert.deepEqual(workerResourceLimits(youngOnly.pool), { maxYoungGenerationSizeMb: 16 });
});

test('without either setting the workers keep Node’s defaults', () => {
  assert.equal(workerResourceLimits(loadConfig({ env: {} }).pool), undefined);
});

test('a young generation that is not a positive integer is refused, naming the field', () => {
  assert.throws(
    () => loadConfig({ env: { STOWAGE__pool__workerYoungGenerationMb: '0' } }),
    (error: unknown) =>
      error instanceof ConfigError && error.details.field === 'pool.workerYoungGenerationMb',
  );
});
