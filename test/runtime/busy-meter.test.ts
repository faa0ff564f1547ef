import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusyMeter } from '../../src/runtime/busy-meter.js';

test('the busy fraction counts time with at least one request outstanding, overlapping ones once', () => {
  const meter = new BusyMeter(0);
  meter.started(100);
  meter.started(200); // overlaps the first: not counted twice
  meter.finished(600);
  meter.finished(800);
  // Busy from 100 to 800 of the first 2,000 ms.
  assert.equal(meter.ratio(2000), 0.35);
});

test('each read covers the time since the previous one; reads closer than a second repeat the last', () => {
  const meter = new BusyMeter(0);
  meter.started(0);
  assert.equal(meter.ratio(1000), 1, 'a request outstanding the whole time');
  meter.finished(1500);
  assert.equal(meter.ratio(1200), 1, 'too soon after the last read');
  assert.equal(meter.ratio(3000), 0.25, '500 ms busy of the 2,000 since the read at 1,000');
  assert.equal(meter.ratio(5000), 0, 'idle since');
});
