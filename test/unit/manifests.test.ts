import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManifestEntries } from '../../src/objects/manifests.js';

const item = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'inner', namespace: 'ns' } };

test('a List without a name is unpacked into its items; a named object whose kind ends in List is itself', () => {
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', items: [item] });
  assert.deepEqual(
    parseManifestEntries(list, 'stdin').map((entry) => entry.object),
    [item],
  );
  // Stored as itself, dumped as itself: restored as its items instead before, the object gone.
  const allowList = {
    apiVersion: 'example.com/v1',
    kind: 'AllowList',
    metadata: { name: 'w2', namespace: 'ns' },
    items: [item],
  };
  assert.deepEqual(
    parseManifestEntries(JSON.stringify(allowList), 'stdin').map((entry) => entry.object),
    [allowList],
  );
});

test('a JSON line that does not parse is named by its line and column, never quoted: a manifest may hold a Secret', () => {
  const good = JSON.stringify(item);
  for (const [bad, column] of [
    ['{"kind":"Secret","data":{"password":"hunter2"}x', 'column 47'],
    // V8 places this one nowhere, and its message quotes the line.
    ['{"kind":"Secret","stringData":{"password":hunter2}}', undefined],
    ['{"kind":"Secret","data":{"password":"hunter2', 'column 45'],
  ] as const) {
    assert.throws(
      () => parseManifestEntries(`${good}\n${good}\n${bad}\n`, 'stdin'),
      (error: Error) => {
        assert.equal(error.name, 'InvalidObjectError');
        assert.match(error.message, /^stdin: line 3: not valid JSON/);
        if (column) assert.ok(error.message.endsWith(`(${column})`), error.message);
        assert.doesNotMatch(error.message, /hunter|password|Secret/);
        return true;
      },
    );
  }
});
