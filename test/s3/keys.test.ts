import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gvkPrefix, keyFromPath, markerPath, objectPath } from '../../src/backends/s3/keys.js';
import { CorruptObjectError, gvk, makeObjectKey } from '../../src/index.js';

const POD = gvk('', 'v1', 'Pod');
const MACHINE = gvk('cluster.x-k8s.io', 'v1beta1', 'Machine');
const ROLE = gvk('rbac.authorization.k8s.io', 'v1', 'ClusterRole');

test('objects are laid out as <prefix>/<group|core>/<version>/<kind>/<namespace|_cluster>/<name>.json', () => {
  assert.equal(objectPath('p', POD, makeObjectKey('default', 'web-0')), 'p/core/v1/Pod/default/web-0.json');
  assert.equal(
    objectPath('a/b', MACHINE, makeObjectKey(undefined, 'm1')),
    'a/b/cluster.x-k8s.io/v1beta1/Machine/_cluster/m1.json',
  );
  assert.equal(objectPath('', POD, makeObjectKey('ns', 'x')), 'core/v1/Pod/ns/x.json');
  assert.equal(gvkPrefix('', MACHINE), 'cluster.x-k8s.io/v1beta1/Machine/');
  assert.equal(markerPath('p', 'id'), 'p/_stowage/open-check-id');
});

test('listed keys parse back into the same ObjectKey, namespaced and cluster-scoped', () => {
  for (const key of [
    makeObjectKey('default', 'web-0'),
    makeObjectKey(undefined, 'node-1.example'),
    makeObjectKey('kube-system', 'a.b.c'),
  ]) {
    assert.equal(keyFromPath('p', POD, objectPath('p', POD, key)), key);
  }
  const rbac = makeObjectKey(undefined, 'system:auth-delegator');
  assert.equal(keyFromPath('', ROLE, objectPath('', ROLE, rbac)), rbac);
});

test('a key stowage would never write is reported as corrupt, not passed up', () => {
  for (const path of [
    'p/core/v1/Pod/default/web-0.txt',
    'p/core/v1/Pod/web-0.json',
    'p/core/v1/Pod/_cluster/ns/x.json',
    'p/core/v1/Pod/default/sub/x.json',
    'p/core/v1/Pod/Default/x.json',
    'p/core/v1/Pod/default/UPPER.json',
    'p/core/v1/Pod/default/...json',
    'p/core/v1/PodSet/default/x.json',
  ]) {
    assert.throws(() => keyFromPath('p', POD, path), CorruptObjectError, path);
  }
});
