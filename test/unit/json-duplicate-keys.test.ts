import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duplicateKey } from '../../src/objects/json-duplicate-keys.js';

test('duplicateKey finds a key given twice in one object, at any depth, escaped or not, and nothing else', () => {
  const cases: [string, string | undefined][] = [
    ['{"a":1,"b":2}', undefined],
    ['{"a":1,"a":2}', 'a'],
    ['{"a":{"x":1},"b":{"x":2}}', undefined],
    ['{"a":{"x":1,"x":2}}', 'x'],
    ['[{"a":1},{"a":2}]', undefined],
    ['[{"a":1,"b":[1,{"c":1,"c":2}]}]', 'c'],
    ['{"a":"\\"a\\"","b":"a"}', undefined],
    ['{"\\u0061":1,"a":2}', 'a'],
    ['{"k":"x,\\"k\\":1","j":1}', undefined],
    ['{"a":[],"b":{},"a":0}', 'a'],
    ['"a"', undefined],
  ];
  for (const [json, expected] of cases) {
    JSON.parse(json);
    assert.equal(duplicateKey(json), expected, json);
  }
});
