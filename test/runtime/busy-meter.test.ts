import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BusyMeter } from '../../src/runtime/busy-meter.js';

test('busy time counts time with at least one request outstanding, overlapping ones once', () => {
  const meter = new BusyMeter();
  meter.started(100);
  meter.started(200); // overlaps the first: not counted twice
  meter.finished(600);
  meter.finished(800);
  assert.equal(meter.busySeconds(2000), 0.7, 'busy from 100 to 800');
});

test('busy time includes the interval under way and never goes down, however often it is read', () => {
  const meter = new BusyMeter();
  meter.started(1000);
  assert.equal(meter.busySeconds(1500), 0.5, 'a request outstanding since 1,000');
  assert.equal(meter.busySeconds(1500), 0.5, 'a second reader at the same moment sees the same');
  meter.finished(2000);
  assert.equal(meter.busySeconds(5000), 1, 'idle since 2,000');
  meter.started(6000);
  meter.finished(6250);
  assert.equal(meter.busySeconds(7000), 1.25);
});
