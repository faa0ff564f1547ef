import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  apiVersionOf,
  checkObjectKey,
  gvk,
  gvkFromApiVersion,
  gvkString,
  InvalidGvkError,
  InvalidKeyError,
  InvalidMachineIdError,
  MachineId,
  PersistenceProviderStatus,
} from '../../src/index.js';

test('MachineId generates unique UUIDs that parse back to an equal id', () => {
  const a = MachineId.generate();
  const b = MachineId.generate();
  assert.notEqual(a.toString(), b.toString());
  assert.ok(MachineId.parse(a.toString()).equals(a));
  assert.ok(MachineId.parse(a.toString().toUpperCase()).equals(a));
  assert.equal(JSON.stringify({ id: a }), JSON.stringify({ id: a.toString() }));
  for (const bad of ['', 'not-a-uuid', `${a}x`, '../etc'])
    assert.throws(() => MachineId.parse(bad), InvalidMachineIdError);
});

test('GVK derives from apiVersion and kind, core group included', () => {
  assert.deepEqual(gvkFromApiVersion('v1', 'Pod'), { group: '', version: 'v1', kind: 'Pod' });
  assert.deepEqual(gvkFromApiVersion('apps/v1', 'Deployment'), {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
  });
  assert.equal(gvkString(gvk('', 'v1', 'Pod')), 'core/v1/Pod');
  assert.equal(apiVersionOf(gvk('monitoring.coreos.com', 'v1', 'Prometheus')), 'monitoring.coreos.com/v1');
  for (const [apiVersion, kind] of [
    ['a/b/c', 'X'],
    ['', 'X'],
    ['Apps/v1', 'X'],
    ['apps/v1', '../X'],
    ['apps/v1', ''],
    ['apps/V1', 'X'],
  ]) {
    assert.throws(() => gvkFromApiVersion(apiVersion!, kind!), InvalidGvkError, `${apiVersion} ${kind}`);
  }
});

test('keys are namespace/name or name, and hostile keys are invalid', () => {
  const pod = gvk('', 'v1', 'Pod');
  assert.equal(checkObjectKey(pod, 'default/web-0'), 'default/web-0');
  assert.equal(checkObjectKey(pod, 'node-1'), 'node-1');
  assert.equal(
    checkObjectKey(gvk('rbac.authorization.k8s.io', 'v1', 'ClusterRole'), 'system:auth-delegator'),
    'system:auth-delegator',
  );
  for (const key of ['system:x', 'a/b/c', '/a', 'a/', '..', 'a/..', 'a\u0000', 'a b', 7, null]) {
    assert.throws(() => checkObjectKey(pod, key), InvalidKeyError, String(key));
  }
});

test('PersistenceProviderStatus serializes with the original field names', () => {
  assert.equal(
    JSON.stringify(new PersistenceProviderStatus(true, true, 0.0012)),
    '{"exists":true,"status":true,"mean_persist_latency":0.0012}',
  );
  assert.deepEqual(JSON.parse(JSON.stringify(PersistenceProviderStatus.missing())), {
    exists: false,
    status: false,
    mean_persist_latency: 0,
  });
});

test('a validation message quotes at most 100 characters of the value, and names a non-string by its type', () => {
  const long = `K${'x'.repeat(4_000_000)}-`;
  assert.throws(
    () => gvk('', 'v1', long),
    (error: unknown) =>
      error instanceof InvalidGvkError &&
      error.message.length < 300 &&
      /4000002 characters/.test(error.message),
  );
  assert.throws(() => gvk('', 'v1', 42 as unknown as string), /kind \(a number\) must be/);
});
