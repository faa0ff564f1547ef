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
