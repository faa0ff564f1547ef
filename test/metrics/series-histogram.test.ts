import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../../src/metrics/definitions.js';
import { SeriesHistogram } from '../../src/metrics/series-histogram.js';

const LABELS = ['store', 'operation'] as const;

/** The same observations through prom-client's Histogram and ours. */
async function both(observations: readonly (readonly [string, string, number])[]): Promise<[string, string]> {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({
    name: 'x_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: LATENCY_BUCKETS,
    registers: [theirs],
  });
  const fast = new SeriesHistogram({
    name: 'x_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: LATENCY_BUCKETS,
    registers: [ours],
  });
  for (const [store, operation, seconds] of observations) {
    reference.observe({ store, operation }, seconds);
    fast.labels({ store, operation }).observe(seconds);
  }
  return [await theirs.metrics(), await ours.metrics()];
}

test('exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.constantFrom('file-a', 's3-b'),
          fc.constantFrom('put', 'get'),
          // Bucket bounds themselves, values between them, and values past the last bound.
          fc.oneof(fc.constantFrom(...LATENCY_BUCKETS), fc.double({ min: 0, max: 20, noNaN: true })),
        ),
        { maxLength: 200 },
      ),
      async (observations) => {
        const [theirs, ours] = await both(observations);
        // prom-client emits series in first-observed order too, so the texts compare whole.
        assert.equal(ours, theirs);
      },
    ),
    { numRuns: 100 },
  );
});

test('reset() zeroes every series but keeps it, so handles held by callers stay valid', async () => {
  const registry = new Registry();
  const histogram = new SeriesHistogram({
    name: 'y_seconds',
    help: 'h',
    labelNames: ['store'] as const,
    buckets: [0.1, 1],
    registers: [registry],
  });
  const handle = histogram.labels({ store: 'a' });
  handle.observe(0.5);
  registry.resetMetrics();
  assert.match(await registry.metrics(), /^y_seconds_count\{store="a"\} 0$/m);
  handle.observe(0.05);
  const text = await registry.metrics();
  assert.match(text, /^y_seconds_bucket\{le="0.1",store="a"\} 1$/m);
  assert.match(text, /^y_seconds_sum\{store="a"\} 0.05$/m);
});

test('the same labels resolve to the same series', () => {
  const histogram = new SeriesHistogram({
    name: 'z_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: [1],
    registers: [],
  });
  assert.equal(
    histogram.labels({ store: 'a', operation: 'put' }),
    histogram.labels({ operation: 'put', store: 'a' }),
  );
  assert.notEqual(
    histogram.labels({ store: 'a', operation: 'put' }),
    histogram.labels({ store: 'a', operation: 'get' }),
  );
});
