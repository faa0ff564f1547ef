import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapOrdered } from '../../src/backends/s3/ordered-map.js';

async function* numbers(count: number): AsyncIterable<number> {
  for (let i = 0; i < count; i++) yield i;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

test('results come out in source order, whatever order they finish in, with at most `limit` in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  const pending: (() => void)[] = [];
  const results = collect(
    mapOrdered(numbers(50), 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Each call waits until released; releases below go newest-first, so finishing order is reversed.
      await new Promise<void>((resolve) => pending.push(resolve));
      inFlight--;
      return i * 2;
    }),
  );
  while (true) {
    await new Promise((resolve) => setImmediate(resolve));
    if (pending.length === 0) break;
    while (pending.length > 0) pending.pop()!();
  }
  assert.deepEqual(
    await results,
    Array.from({ length: 50 }, (_, i) => i * 2),
  );
  assert.equal(peak, 4);
});

test('a failure surfaces at its turn, and failures still in the window are not unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const value of mapOrdered(numbers(10), 5, async (i) => {
          if (i >= 3) throw new Error(`item ${i}`);
          return i;
        })) {
          seen.push(value);
        }
      })(),
      /item 3/,
    );
    assert.deepEqual(seen, [0, 1, 2]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a consumer that stops aborts the calls still in the window; one that reads to the end aborts nothing', async () => {
  const signals: AbortSignal[] = [];
  const slow = (i: number, signal: AbortSignal) => {
    signals.push(signal);
    return i === 0 ? Promise.resolve(i) : new Promise<number>((resolve) => setTimeout(() => resolve(i), 50));
  };
  for await (const value of mapOrdered(numbers(100), 8, slow)) {
    assert.equal(value, 0);
    break;
  }
  // Before, the seven still out ran to their end (for S3, GETs whose bodies were read and dropped).
  assert.equal(signals.length, 8, 'no call started after the window filled');
  assert.ok(
    signals.every((signal) => signal.aborted),
    'every call in the window was told to stop',
  );
  signals.length = 0;
  assert.deepEqual(await collect(mapOrdered(numbers(5), 2, slow)), [0, 1, 2, 3, 4]);
  assert.ok(signals.every((signal) => !signal.aborted));
});
