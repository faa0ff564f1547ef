import assert from 'node:assert/strict';
import {
  gvk,
  InvalidGvkError,
  InvalidKeyError,
  InvalidObjectError,
  type RuntimeObject,
  UnknownInstanceError,
} from '../../src/index.js';
import { makeObject } from '../helpers/objects.js';
import { withProvider } from './context.js';
import type { ConformanceCase } from './suite.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');

export const basicCases: ConformanceCase[] = [
  {
    // V8's JSON.parse in Node 24 and 26 read "\n" as "\\" here (nodejs/node#63785).
    name: 'keys written with escapes read back as put, after an object with a key of one backslash',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const poison = makeObject({
          name: 'poison',
          namespace: 'default',
          data: { '': 'x', '\\': 'backslash' },
        });
        const escaped = makeObject({
          name: 'escaped',
          namespace: 'default',
          data: { '': 'x', '\n': 'newline' },
        });
        await provider.putObject(instance, poison);
        await provider.putObject(instance, escaped);
        assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, 'default/poison'), poison);
        assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, 'default/escaped'), escaped);
        const listed = await provider.getAllObjects(instance, CONFIG_MAP);
        const byName = new Map(listed.map((object) => [object.metadata.name, object]));
        assert.deepEqual(byName.get('escaped'), escaped);
        assert.deepEqual(byName.get('poison'), poison);
      }),
  },
  {
    name: 'get of a missing object returns undefined',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        assert.equal(await provider.getObject(instance, CONFIG_MAP, 'default/absent'), undefined);
        assert.equal(await provider.getObject(instance, CONFIG_MAP, 'cluster-scoped-absent'), undefined);
      }),
  },
  {
    name: 'invalid keys and GVKs are rejected as invalid, never as not-found',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        for (const key of [
          '',
          '/',
          'a/',
          '/a',
          '../x',
          'a/b/c',
          'A/b',
          'ns/..',
          'ns/a\u0000b',
          'x'.repeat(254),
        ]) {
          await assert.rejects(provider.getObject(instance, CONFIG_MAP, key), InvalidKeyError, `key ${key}`);
          await assert.rejects(
            provider.deleteObject(instance, CONFIG_MAP, key),
            InvalidKeyError,
            `key ${key}`,
          );
        }
        const badGvk = { group: '../etc', version: 'v1', kind: 'ConfigMap' };
        await assert.rejects(provider.getObject(instance, badGvk, 'a'), InvalidGvkError);
        await assert.rejects(
          provider.getAllObjects(instance, { group: '', version: 'v1', kind: 'a/b' }),
          InvalidGvkError,
        );
      }),
  },
  {
    name: 'unknown instances are rejected, and their status says they do not exist',
    run: (target) =>
      withProvider(target, async ({ provider }) => {
        await assert.rejects(
          provider.putObject('file-000000000000', makeObject({ name: 'a' })),
          UnknownInstanceError,
        );
        assert.equal(provider.instanceStatus('file-000000000000').exists, false);
      }),
  },
  {
    name: 'read-after-write returns identical content, and the status reports a mean persist latency',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const object = makeObject({
          name: 'alpha',
          namespace: 'default',
          data: { a: '1', nested: { b: [1, 2] } },
        });
        const key = await provider.putObject(instance, object);
        assert.equal(key, 'default/alpha');
        assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, key), object);
        const status = provider.instanceStatus(instance);
        assert.equal(status.exists, true);
        assert.equal(status.status, true);
        assert.ok(status.meanPersistLatency > 0, `mean persist latency ${status.meanPersistLatency}`);
      }),
  },
  {
    name: 'overwrite replaces the object, and repeating a put is idempotent',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const first = makeObject({ name: 'beta', namespace: 'default', data: { version: '1' } });
        const second = makeObject({ name: 'beta', namespace: 'default', data: { version: '2' } });
        const key = await provider.putObject(instance, first);
        assert.equal(await provider.putObject(instance, second), key);
        assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, key), second);
        assert.equal(await provider.putObject(instance, second), key);
        assert.deepEqual(await provider.getAllObjects(instance, CONFIG_MAP), [second]);
      }),
  },
  {
    name: 'delete removes the object from get and list; deleting a missing object is idempotent',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const key = await provider.putObject(instance, makeObject({ name: 'gamma', namespace: 'default' }));
        await provider.putObject(instance, makeObject({ name: 'keep', namespace: 'default' }));
        assert.equal(await provider.deleteObject(instance, CONFIG_MAP, key), true);
        assert.equal(await provider.getObject(instance, CONFIG_MAP, key), undefined);
        const names = (await provider.getAllObjects(instance, CONFIG_MAP)).map((o) => o.metadata.name);
        assert.deepEqual(names, ['keep']);
        assert.equal(await provider.deleteObject(instance, CONFIG_MAP, key), false);
        assert.equal(await provider.deleteObject(instance, CONFIG_MAP, 'default/never-existed'), false);
      }),
  },
  {
    name: 'Unicode and hostile content in values round-trips exactly',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const hostile: RuntimeObject = makeObject({
          name: 'hostile',
          namespace: 'default',
          data: {
            unicode: 'héllo wörld ✓ 日本語 🚀 \u{10FFFF}',
            loneSurrogate: '\uD800',
            control: '\u0000\u0001\u001f\u007f',
            path: '../../../etc/passwd',
            json: '{"a":1}\n"quoted"\\',
            __proto__key: { constructor: 'x', prototype: 'y' },
            numbers: [0, -1, 1.5, 1e300, -1e-300, Number.MAX_SAFE_INTEGER],
            empty: { '': '', list: [] },
          },
        });
        Object.defineProperty(hostile.data, '__proto__', {
          value: 'own property named __proto__',
          enumerable: true,
          configurable: true,
          writable: true,
        });
        const key = await provider.putObject(instance, hostile);
        assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, key), hostile);
      }),
  },
  {
    name: 'hostile names and namespaces are rejected with a typed error naming the field',
    run: (target) =>
      withProvider(target, async ({ provider, instance }) => {
        const cases: [Partial<Record<'name' | 'namespace', string>>, string][] = [
          [{ name: '../escape' }, 'metadata.name'],
          [{ name: 'a/b' }, 'metadata.name'],
          [{ name: 'a\u0000b' }, 'metadata.name'],
          [{ name: '..' }, 'metadata.name'],
          [{ name: 'UPPER' }, 'metadata.name'],
          [{ name: 'x'.repeat(254) }, 'metadata.name'],
          [{ name: 'ok', namespace: 'a/b' }, 'metadata.namespace'],
          [{ name: 'ok', namespace: '..' }, 'metadata.namespace'],
          [{ name: 'ok', namespace: 'has.dot' }, 'metadata.namespace'],
        ];
        for (const [identity, field] of cases) {
          const object = makeObject({ name: identity.name ?? 'ok', namespace: identity.namespace });
          await assert.rejects(provider.putObject(instance, object), (error: unknown) => {
            assert.ok(error instanceof InvalidObjectError, `${JSON.stringify(identity)}: ${error}`);
            assert.equal(error.details.field, field);
            return true;
          });
        }
        assert.deepEqual(await provider.getAllObjects(instance, CONFIG_MAP), []);
      }),
  },
];
