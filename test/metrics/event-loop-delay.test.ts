import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { EventLoopDelaySampler } from '../../src/metrics/event-loop-delay.js';

/** Keeps the main thread busy without yielding, as a long synchronous task in a host would. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

test('a blocked event loop shows up as a late sample in the histogram', async () => {
  const registry = new Registry();
  const samples: number[] = [];
  const sampler = new EventLoopDelaySampler(registry, {
    resolutionMs: 10,
    onSample: (seconds) => samples.push(seconds),
  });
  sampler.start();
  // The sampler's timer is armed now; blocking 150 ms makes it fire at least ~140 ms late.
  blockFor(150);
  // The timer is unref'd, so a ref'd immediate chain keeps the process alive until it fires.
  while (samples.length === 0) await new Promise((resolve) => setImmediate(resolve));
  sampler.stop();
  assert.ok((samples[0] ?? 0) >= 0.1, `first sample ${samples[0]} s`);

  const text = await registry.metrics();
  const count = Number(/^stowage_event_loop_delay_seconds_count (\d+)$/m.exec(text)?.[1]);
  assert.equal(count, samples.length);
  const upTo50ms = Number(/^stowage_event_loop_delay_seconds_bucket\{le="0.05"\} (\d+)$/m.exec(text)?.[1]);
  assert.ok(upTo50ms < count, 'the blocked sample must fall above the 50 ms bucket');
});

test('stop() stops sampling, and the timer never holds the process open', async () => {
  const registry = new Registry();
  let samples = 0;
  const sampler = new EventLoopDelaySampler(registry, {
    resolutionMs: 1,
    onSample: () => {
      samples++;
      sampler.stop();
    },
  });
  sampler.start();
  while (samples === 0) await new Promise((resolve) => setImmediate(resolve));
  blockFor(5);
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(samples, 1);
});
