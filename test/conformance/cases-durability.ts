import assert from 'node:assert/strict';
import { CorruptObjectError, gvk, gvkFromApiVersion, identify, type RuntimeObject } from '../../src/index.js';
import { loadFixtureObjects } from '../helpers/fixtures.js';
import { makeObject } from '../helpers/objects.js';
import { withProvider } from './context.js';
import type { ConformanceCase } from './suite.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');

async function collect(iterable: AsyncIterable<RuntimeObject>): Promise<RuntimeObject[]> {
  const out: RuntimeObject[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export const durabilityCases: ConformanceCase[] = [
  {
    name: 'a get or delete submitted before an earlier put on its key is acknowledged sees that put',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        for (let round = 0; round < 20; round++) {
          const name = `seq${round}`;
          const key = `order/${name}`;
          const version = (v: string) => makeObject({ name, namespace: 'order', data: { v } });
          // Nothing is awaited until all six are submitted, so the reads race the writes before them.
          const results = await Promise.all([
            provider.putObject(instance, version('1')),
            provider.getObject(instance, CONFIG_MAP, key),
            provider.putObject(instance, version('2')),
            provider.getObject(instance, CONFIG_MAP, key),
            provider.deleteObject(instance, CONFIG_MAP, key),
            provider.getObject(instance, CONFIG_MAP, key),
          ]);
          const [, first, , second, existed, third] = results as [
            unknown,
            RuntimeObject | undefined,
            unknown,
            RuntimeObject | undefined,
            boolean,
            RuntimeObject | undefined,
          ];
          assert.deepEqual(first?.data, { v: '1' }, `round ${round}: the get after the first put`);
          assert.deepEqual(second?.data, { v: '2' }, `round ${round}: the get after the second put`);
          assert.equal(existed, true, `round ${round}: the delete after the puts`);
          assert.equal(third, undefined, `round ${round}: the get after the delete`);
        }
      }),
  },
  {
    name: '100 keys × 10 concurrent writers end in the last-submitted value per key',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const writes: Promise<unknown>[] = [];
        for (let writer = 0; writer < 10; writer++) {
          for (let k = 0; k < 100; k++) {
            writes.push(
              provider.putObject(
                instance,
                makeObject({ name: `k${k}`, namespace: 'race', data: { writer } }),
              ),
            );
          }
        }
        await Promise.all(writes);
        const all = await provider.getAllObjects(instance, CONFIG_MAP);
        assert.equal(all.length, 100);
        for (const object of all) assert.deepEqual(object.data, { writer: 9 }, object.metadata.name);
      }),
  },
  {
    name: 'listing thousands of objects returns each exactly once, as an array and as a stream',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const count = 3000;
        const expected = new Set<string>();
        for (let batch = 0; batch < count; batch += 250) {
          const puts: Promise<unknown>[] = [];
          for (let i = batch; i < batch + 250; i++) {
            const namespace = `ns${i % 7}`;
            expected.add(`${namespace}/obj-${i}`);
            puts.push(provider.putObject(instance, makeObject({ name: `obj-${i}`, namespace })));
          }
          await Promise.all(puts);
        }
        const keyOf = (o: RuntimeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
        const listed = (await provider.getAllObjects(instance, CONFIG_MAP)).map(keyOf);
        assert.equal(listed.length, count);
        assert.deepEqual(new Set(listed), expected);
        const streamed = (await collect(provider.streamAllObjects(instance, CONFIG_MAP))).map(keyOf);
        assert.equal(streamed.length, count);
        assert.deepEqual(new Set(streamed), expected);
      }),
  },
  {
    name: 'every kube-prometheus fixture object round-trips, large CRDs and List items included',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const fixtures = loadFixtureObjects();
        const files = new Set(fixtures.map((f) => f.file));
        assert.equal(files.size, 95, 'all 95 fixture files contribute objects');
        for (const { object } of fixtures) await provider.putObject(instance, object);
        for (const { file, object } of fixtures) {
          const { gvk: objectGvk, key } = identify(object);
          assert.deepEqual(await provider.getObject(instance, objectGvk, key), object, `${file}: ${key}`);
        }
        const crds = await provider.getAllObjects(
          instance,
          gvk('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'),
        );
        assert.equal(crds.length, 10);
        const dashboards = fixtures.filter((f) => f.file === 'grafana-dashboardDefinitions.yaml');
        assert.ok(dashboards.length > 10, 'the ConfigMapList was expanded into its items');
        const kinds = new Set(fixtures.map((f) => f.object.kind));
        for (const kind of kinds) {
          const sample = fixtures.find((f) => f.object.kind === kind)!.object;
          const listed = await provider.getAllObjects(instance, gvkFromApiVersion(sample.apiVersion, kind));
          assert.ok(listed.length >= 1, kind);
        }
      }),
  },
  {
    name: 'data survives close and re-initialize',
    skipUnless: (target) => target.persistent,
    run: (target) =>
      withProvider(target, async ({ provider, instance, otherInstance }, storage) => {
        await provider.putObject(
          instance,
          makeObject({ name: 'kept', namespace: 'default', data: { v: 1 } }),
        );
        await provider.putObject(
          instance,
          makeObject({ name: 'kept', namespace: 'default', data: { v: 2 } }),
        );
        await provider.putObject(instance, makeObject({ name: 'gone', namespace: 'default' }));
        await provider.deleteObject(instance, CONFIG_MAP, 'default/gone');
        await provider.putObject(otherInstance, makeObject({ name: 'other', namespace: 'default' }));
        await provider.close();
        const reopened = await storage.openProvider();
        try {
          assert.deepEqual(await reopened.provider.getAllObjects(reopened.instance, CONFIG_MAP), [
            makeObject({ name: 'kept', namespace: 'default', data: { v: 2 } }),
          ]);
          assert.equal((await reopened.provider.getAllObjects(reopened.otherInstance, CONFIG_MAP)).length, 1);
        } finally {
          await reopened.provider.close();
        }
      }),
  },
  {
    name: 'a stored record that will not decode gives a distinct CorruptObject error',
    skipUnless: (target) => target.persistent,
    run: (target) =>
      withProvider(target, async ({ provider, instance }, storage) => {
        await provider.putObject(instance, makeObject({ name: 'fine', namespace: 'default' }));
        await provider.close();
        const raw = storage.openRawBackend?.();
        assert.ok(raw, 'a persistent target offers raw access to its storage');
        await raw.open((await import('../../src/index.js')).MachineId.generate());
        await raw.put(
          CONFIG_MAP,
          'default/broken' as never,
          Buffer.from('{"apiVersion": "v1", "kind": trunc'),
        );
        await raw.put(CONFIG_MAP, 'default/shapeless' as never, Buffer.from('[1,2,3]'));
        await raw.close();
        const reopened = await storage.openProvider();
        try {
          const p = reopened.provider;
          await assert.rejects(
            p.getObject(reopened.instance, CONFIG_MAP, 'default/broken'),
            CorruptObjectError,
          );
          await assert.rejects(
            p.getObject(reopened.instance, CONFIG_MAP, 'default/shapeless'),
            CorruptObjectError,
          );
          await assert.rejects(p.getAllObjects(reopened.instance, CONFIG_MAP), CorruptObjectError);
          assert.ok(await p.getObject(reopened.instance, CONFIG_MAP, 'default/fine'));
        } finally {
          await reopened.provider.close();
        }
      }),
  },
];
