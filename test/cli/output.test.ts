import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { render, table } from '../../src/cli/output.js';

test('a table shows control characters in a cell escaped: stored text cannot add a row or drive the terminal', () => {
  const text = table(['name', 'updated'], [['db', '\u001b[31mforged\u001b[0m\nprod  db-backup  key2']]);
  assert.equal(text.split('\n').length, 2);
  assert.ok(!text.includes('\u001b'));
  assert.match(text, /\\x1b\[31mforged\\x1b\[0m\\x0aprod {2}db-backup {2}key2$/);
  assert.equal(table(['a'], [['plain']]), 'A\nplain');
});

test('YAML output reads back as the same strings under YAML 1.2 (what put -f reads) and 1.1 (kubectl)', () => {
  const object = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'ambiguous', namespace: 'default' },
    // 0o14 read back as the number 12 before; the others already came back as written.
    data: {
      a: '0o14',
      b: 'yes',
      c: '1e3',
      d: '0x1F',
      e: '2001-12-14',
      f: 'null',
      g: '.inf',
      h: 'on',
      i: '010',
      j: 'plain text',
      // YAML 1.1's merge and value keys: PyYAML could not load them written plain.
      k: '<<',
      '=': '=',
    },
  };
  const yaml = render(object, 'yaml');
  assert.match(yaml, /k: "<<"/);
  assert.match(yaml, /"=": "="/);
  assert.deepEqual(parse(yaml), object);
  assert.deepEqual(parse(yaml, { version: '1.1' }), object);
  assert.match(yaml, /j: plain text/);
});
