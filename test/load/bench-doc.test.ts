import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  readRecord,
  recordComment,
  section,
  tableAfter,
  withHead,
  withPlaceholder,
} from '../../bench/doc.js';
import { GOALS } from '../../bench/goals.js';
import { met } from '../../bench/report.js';

/** bench/main.ts owns only the head of docs/benchmarks.md; every benchmark's section must survive it. */

const DOC = [
  '# Benchmarks',
  '',
  '<!-- bench:s3:start -->',
  '| 1000 ops per round | put ops/s | put ratio to raw | put CPU µs/op | get ops/s | get ratio to raw | get CPU µs/op |',
  '|---|---|---|---|---|---|---|',
  '| stowage direct | 900 | **0.95** | 10 | 800 | **1.10** | 9 |',
  '| stowage runtime | 850 | **0.85** | 12 | 700 | **0.97** | 11 |',
  '| raw SDK | 1000 | **1.00** | 8 | 760 | **1.00** | 8 |',
  '<!-- bench:s3:end -->',
  '',
].join('\n');

test('the head is inserted at the top, then replaced in place; sections stay byte for byte', () => {
  const once = withHead(DOC, 'HEAD ONE');
  assert.ok(
    once.startsWith(
      '<!-- bench:head:start -->\nHEAD ONE\n<!-- bench:head:end -->\n\n<!-- bench:s3:start -->',
    ),
  );
  const twice = withHead(once, 'HEAD TWO');
  assert.equal(section(twice, 'head'), 'HEAD TWO');
  assert.equal(section(twice, 's3'), section(DOC, 's3'));
  assert.equal(twice.split('bench:head:start').length, 2, 'one head');
});

test('a placeholder is added only for a missing section', () => {
  const doc = withPlaceholder(DOC, 'file', '## file\n\nNot measured yet.');
  assert.equal(section(doc, 'file'), '## file\n\nNot measured yet.');
  assert.equal(withPlaceholder(doc, 's3', 'nope'), doc);
});

test('the run record round-trips through the head comment', () => {
  const record = { file: { status: 'ran', seconds: 3 } };
  assert.deepEqual(readRecord(withHead(DOC, `text\n${recordComment(record)}`), {}), record);
  assert.deepEqual(readRecord(DOC, { none: true }), { none: true });
});

test('measured values are lifted from a section and judged against the goal', () => {
  const rows = tableAfter(section(DOC, 's3')!, /put ratio to raw/);
  assert.equal(rows.length, 4, 'header and three rows, separator skipped');
  const puts = GOALS.find((g) => g.bench === 's3' && g.what.startsWith('puts/s'))!;
  const measured = puts.measure(section(DOC, 's3')!);
  assert.equal(measured, '0.95; 0.85');
  assert.equal(met(puts.goal, measured), 'partly');
  assert.equal(met('≤ 10 ms', '26.82 ms'), 'no');
  assert.equal(met('≥ 0.9', '1 in flight: 1.07; 64 in flight: 0.94'), 'yes');
  // Levels that fare differently are judged each: one that missed in every run is not a `partly`.
  assert.equal(
    met('≥ 0.9', '1 in flight: 0.90 (runs 1.00 / 0.88); 64 in flight: 0.81 (runs 0.81 / 0.72)'),
    '1 in flight: partly; 64 in flight: no',
  );
  assert.equal(met('none set (the floor)', '0.2'), '—');
  // A median that meets the goal is not enough when one of the runs behind it did not.
  assert.equal(met('≥ 0.3×', '0.36× (runs 0.31× / 0.36× / 0.40×)'), 'yes');
  assert.equal(met('≥ 0.3×', '0.32× (runs 0.27× / 0.32× / 0.40×)'), 'partly');
  assert.equal(
    met(
      '≥ 0.9',
      '1 in flight: 0.72 (runs 0.68 / 0.72 / 0.75); 256 in flight: 0.95 (runs 0.91 / 0.95 / 0.99)',
    ),
    '1 in flight: no; 256 in flight: yes',
  );
  assert.equal(GOALS.find((g) => g.bench === 'file')!.measure('no table here'), undefined);
});
