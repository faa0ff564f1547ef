import assert from 'node:assert/strict';
import { gvk, ObjectTooLargeError, type RuntimeObject } from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { withProvider } from './context.js';
import type { ConformanceCase } from './suite.js';

const names = (objects: RuntimeObject[]) => objects.map((o) => o.metadata.name).sort();

/** An object whose canonical JSON is exactly `bytes` long. */
function objectOfSize(name: string, bytes: number): RuntimeObject {
  const object = makeObject({ name, namespace: 'default', data: { pad: '' } });
  const overhead = Buffer.byteLength(JSON.stringify(object));
  (object.data as { pad: string }).pad = 'p'.repeat(bytes - overhead);
  return object;
}

export const isolationCases: ConformanceCase[] = [
  {
    name: 'listKinds names every GVK holding objects, per instance, and drops one when its last object goes',
    run: (target) =>
      withProvider(target, async ({ provider, instance, otherInstance }) => {
        assert.deepEqual(await provider.listKinds(instance), []);
        await provider.putObject(instance, makeObject({ name: 'a', namespace: 'default' }));
        await provider.putObject(
          instance,
          makeObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', namespace: 'x' }),
        );
        await provider.putObject(
          instance,
          makeObject({ apiVersion: 'apps/v1', kind: 'DeploymentX', name: 'd' }),
        );
        await provider.putObject(
          otherInstance,
          makeObject({ apiVersion: 'batch/v1', kind: 'Job', name: 'j', namespace: 'x' }),
        );
        assert.deepEqual(await provider.listKinds(instance), [
          gvk('apps', 'v1', 'Deployment'),
          gvk('apps', 'v1', 'DeploymentX'),
          gvk('', 'v1', 'ConfigMap'),
        ]);
        await provider.deleteObject(instance, gvk('apps', 'v1', 'DeploymentX'), 'd');
        assert.deepEqual(await provider.listKinds(instance), [
          gvk('apps', 'v1', 'Deployment'),
          gvk('', 'v1', 'ConfigMap'),
        ]);
        assert.deepEqual(await provider.listKinds(otherInstance), [gvk('batch', 'v1', 'Job')]);
      }),
  },
  {
    name: 'kind Machine never lists MachineSet, and namespace a never lists ab',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const machine = gvk('cluster.x-k8s.io', 'v1beta1', 'Machine');
        const machineSet = gvk('cluster.x-k8s.io', 'v1beta1', 'MachineSet');
        const api = 'cluster.x-k8s.io/v1beta1';
        await provider.putObject(
          instance,
          makeObject({ apiVersion: api, kind: 'Machine', name: 'm1', namespace: 'a' }),
        );
        await provider.putObject(
          instance,
          makeObject({ apiVersion: api, kind: 'MachineSet', name: 'm1', namespace: 'a' }),
        );
        await provider.putObject(
          instance,
          makeObject({ apiVersion: api, kind: 'Machine', name: 'm1', namespace: 'ab' }),
        );
        await provider.putObject(
          instance,
          makeObject({ apiVersion: api, kind: 'Machine', name: 'm2', namespace: 'ab' }),
        );
        const machines = await provider.getAllObjects(instance, machine);
        assert.deepEqual(machines.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort(), [
          'a/m1',
          'ab/m1',
          'ab/m2',
        ]);
        assert.deepEqual(names(await provider.getAllObjects(instance, machineSet)), ['m1']);
        assert.equal(await provider.getObject(instance, machine, 'a/m2'), undefined);
        await provider.deleteObject(instance, machine, 'a/m1');
        assert.ok(
          await provider.getObject(instance, machineSet, 'a/m1'),
          'MachineSet a/m1 survives deleting Machine a/m1',
        );
        assert.ok(await provider.getObject(instance, machine, 'ab/m1'), 'ab/m1 survives deleting a/m1');
      }),
  },
  {
    name: 'the same name under another GVK, another version or another instance is a separate record',
    run: (target) =>
      withProvider(target, async ({ provider, instance, otherInstance }) => {
        const v1 = makeObject({
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          name: 'w',
          namespace: 'default',
          data: { v: 1 },
        });
        const v2 = makeObject({
          apiVersion: 'example.com/v2',
          kind: 'Widget',
          name: 'w',
          namespace: 'default',
          data: { v: 2 },
        });
        const core = makeObject({
          apiVersion: 'v1',
          kind: 'Widget',
          name: 'w',
          namespace: 'default',
          data: { v: 3 },
        });
        const elsewhere = makeObject({
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          name: 'w',
          namespace: 'default',
          data: { v: 4 },
        });
        for (const object of [v1, v2, core]) await provider.putObject(instance, object);
        await provider.putObject(otherInstance, elsewhere);
        assert.deepEqual(
          await provider.getObject(instance, gvk('example.com', 'v1', 'Widget'), 'default/w'),
          v1,
        );
        assert.deepEqual(
          await provider.getObject(instance, gvk('example.com', 'v2', 'Widget'), 'default/w'),
          v2,
        );
        assert.deepEqual(await provider.getObject(instance, gvk('', 'v1', 'Widget'), 'default/w'), core);
        assert.deepEqual(
          await provider.getObject(otherInstance, gvk('example.com', 'v1', 'Widget'), 'default/w'),
          elsewhere,
        );
        assert.equal(
          await provider.getObject(otherInstance, gvk('example.com', 'v2', 'Widget'), 'default/w'),
          undefined,
        );
        const namespacedAndCluster = makeObject({
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          name: 'w',
          data: { v: 5 },
        });
        await provider.putObject(instance, namespacedAndCluster);
        assert.deepEqual(
          await provider.getObject(instance, gvk('example.com', 'v1', 'Widget'), 'w'),
          namespacedAndCluster,
        );
        assert.deepEqual(
          await provider.getObject(instance, gvk('example.com', 'v1', 'Widget'), 'default/w'),
          v1,
        );
      }),
  },
  {
    name: 'an object just under the size limit is stored; one just over is rejected and the previous version survives',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const limit = 1.5 * 1024 * 1024;
        const fits = objectOfSize('big', limit);
        const key = await provider.putObject(instance, fits);
        assert.deepEqual(await provider.getObject(instance, gvk('', 'v1', 'ConfigMap'), key), fits);
        await assert.rejects(
          provider.putObject(instance, objectOfSize('big', limit + 1)),
          (error: unknown) => {
            assert.ok(error instanceof ObjectTooLargeError);
            assert.equal(error.details.limit, limit);
            return true;
          },
        );
        assert.deepEqual(await provider.getObject(instance, gvk('', 'v1', 'ConfigMap'), key), fits);
      }),
  },
  {
    name: 'a configured size limit is enforced',
    run: (target) =>
      withProvider(
        target,
        async ({ provider, instance }) => {
          await provider.putObject(instance, objectOfSize('small', 4096));
          await assert.rejects(
            provider.putObject(instance, objectOfSize('small', 4097)),
            ObjectTooLargeError,
          );
        },
        { maxObjectBytes: 4096 },
      ),
  },
];
