import assert from 'node:assert/strict';
import { test } from 'node:test';
import { table } from '../../src/cli/output.js';

test('a table shows control characters in a cell escaped: stored text cannot add a row or drive the terminal', () => {
  const text = table(['name', 'updated'], [['db', '\u001b[31mforged\u001b[0m\nprod  db-backup  key2']]);
  assert.equal(text.split('\n').length, 2);
  assert.ok(!text.includes('\u001b'));
  assert.match(text, /\\x1b\[31mforged\\x1b\[0m\\x0aprod {2}db-backup {2}key2$/);
  assert.equal(table(['a'], [['plain']]), 'A\nplain');
});
