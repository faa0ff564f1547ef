import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type GroupVersionKind,
  InvalidGvkError,
  InvalidObjectError,
  LocalProvider,
  MachineId,
  MemoryBackend,
  type PersistenceProvider,
  type RuntimeObject,
} from '../../src/index.js';
import { INLINE_ENCODE_MAX_CHARS, RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeObject } from '../helpers/objects.js';

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };

/** Both providers over a memory backend, so every case runs against each. */
const PROVIDERS: readonly [string, () => PersistenceProvider][] = [
  // The memory backend does not keep call order, so LocalProvider queues calls on one key (KeyOrder).
  ['LocalProvider', () => new LocalProvider([{ name: 'memory-snapshot', backend: new MemoryBackend() }])],
  ['RuntimeProvider', () => new RuntimeProvider([{ kind: 'memory', name: 'snapshot' }])],
];

/** Over INLINE_ENCODE_MAX_CHARS, so the runtime copies it instead of encoding it on this thread. */
const large = (name: string, data: Record<string, unknown> = {}): RuntimeObject =>
  makeObject({ name, namespace: 'x', data: { a: 'x'.repeat(INLINE_ENCODE_MAX_CHARS), ...data } });

async function withEach(body: (provider: PersistenceProvider, instance: string) => Promise<void>) {
  for (const [, create] of PROVIDERS) {
    const provider = create();
    try {
      await provider.initialize(MachineId.generate());
      await body(provider, provider.instances()[0] as string);
    } finally {
      await provider.close();
    }
  }
}

describe('what a put stores is the object as it was at the call', () => {
  test('a change the caller makes after putObject returns, small or large, queued behind a call on its key or not, is not stored', async () => {
    await withEach(async (provider, instance) => {
      for (const object of [makeObject({ name: 'small', namespace: 'x' }), large('large')]) {
        const key = `x/${object.metadata.name}`;
        // The second put waits behind the first on the same key; both are changed once called.
        const first = structuredClone(object);
        const second = structuredClone(object);
        (second.data as Record<string, unknown>).v = 'second';
        const puts = [provider.putObject(instance, first), provider.putObject(instance, second)];
        (first.data as Record<string, unknown>).v = 'changed after the call';
        (second.data as Record<string, unknown>).v = 'changed after the call';
        await Promise.all(puts);
        const stored = await provider.getObject(instance, CONFIG_MAP, key);
        assert.equal(
          (stored?.data as Record<string, unknown> | undefined)?.v,
          'second',
          `${provider.constructor.name} ${key}`,
        );
      }
    });
  });

  test('both providers refuse the same objects, large or small, with InvalidObjectError naming the field', async () => {
    class Labels {
      app = 'web';
    }
    await withEach(async (provider, instance) => {
      const name = provider.constructor.name;
      for (const [what, data, field] of [
        ['a symbol key', { [Symbol('s')]: 1, s: 1 }, 'data'],
        ['a class instance', { labels: new Labels() }, 'data.labels'],
        ['a function', { fn: () => 1 }, 'data.fn'],
        ['NaN', { n: Number.NaN }, 'data.n'],
      ] as const) {
        for (const object of [makeObject({ name: 'bad', namespace: 'x', data }), large('bad', data)]) {
          await assert.rejects(
            provider.putObject(instance, object),
            (error: unknown) => error instanceof InvalidObjectError && error.details.field === field,
            `${name}: ${what}`,
          );
        }
      }
      assert.equal(await provider.getObject(instance, CONFIG_MAP, 'x/bad'), undefined, name);
      // A Proxy over plain data reads as that data: stored by both, not refused by structured clone.
      const proxied = large('proxied');
      await provider.putObject(instance, new Proxy(proxied, {}));
      assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, 'x/proxied'), proxied, name);
    });
  });

  test('an object whose address reads one way for its key and another for its contents is refused, small or large, and nothing unreadable is stored', async () => {
    const hidden = <T extends object>(target: T, field: string, value: unknown): T =>
      Object.defineProperty(target, field, { value, enumerable: false });
    const cases: [string, (object: RuntimeObject) => object, string][] = [
      // Each was acknowledged before, stored under a key its bytes did not hold, and failed every
      // later get of it and listing of its kind with STOWAGE_CORRUPT_OBJECT.
      [
        'apiVersion not enumerable',
        (o) => hidden({ ...o, apiVersion: undefined }, 'apiVersion', 'v1'),
        'apiVersion',
      ],
      [
        'metadata.namespace not enumerable',
        (o) => ({ ...o, metadata: hidden({ name: o.metadata.name }, 'namespace', 'x') }),
        'metadata.namespace',
      ],
      [
        'metadata.name answered by a Proxy get trap only',
        (o) => ({
          ...o,
          metadata: new Proxy(
            { namespace: 'x' },
            { get: (t, k) => (k === 'name' ? o.metadata.name : Reflect.get(t, k)) },
          ),
        }),
        'metadata.name',
      ],
      [
        'metadata.name a getter answering twice differently',
        (o) => {
          let reads = 0;
          const metadata = { namespace: 'x' };
          Object.defineProperty(metadata, 'name', {
            enumerable: true,
            get: () => (reads++ === 0 ? o.metadata.name : 'second'),
          });
          return { ...o, metadata };
        },
        'metadata.name',
      ],
    ];
    await withEach(async (provider, instance) => {
      const name = provider.constructor.name;
      for (const [what, shape, field] of cases) {
        for (const object of [makeObject({ name: 'addr', namespace: 'x' }), large('addr')]) {
          const size = JSON.stringify(object).length > INLINE_ENCODE_MAX_CHARS ? 'large' : 'small';
          await assert.rejects(
            provider.putObject(instance, shape(object) as RuntimeObject),
            (error: unknown) => error instanceof InvalidObjectError && error.details.field === field,
            `${name}, ${size}: ${what}`,
          );
        }
      }
      assert.equal(await provider.getObject(instance, CONFIG_MAP, 'x/addr'), undefined, name);
      assert.equal(await provider.getObject(instance, CONFIG_MAP, 'x/second'), undefined, name);
      assert.deepEqual(await provider.getAllObjects(instance, CONFIG_MAP), [], name);
    });
  });

  test('a GVK whose getter or Proxy trap throws is an InvalidGvkError on every call that takes one, not the raw error', async () => {
    const throwing = Object.defineProperty({ group: '', version: 'v1' }, 'kind', {
      enumerable: true,
      get() {
        throw new RangeError('kind refuses');
      },
    }) as unknown as GroupVersionKind;
    const { proxy: revoked, revoke } = Proxy.revocable({ ...CONFIG_MAP }, {});
    revoke();
    await withEach(async (provider, instance) => {
      for (const gvk of [throwing, revoked]) {
        const typed = (error: unknown) => error instanceof InvalidGvkError && error.details.field === 'gvk';
        const name = provider.constructor.name;
        await assert.rejects(provider.getObject(instance, gvk, 'x/a'), typed, `${name} get`);
        await assert.rejects(provider.deleteObject(instance, gvk, 'x/a'), typed, `${name} delete`);
        await assert.rejects(provider.getAllObjects(instance, gvk), typed, `${name} getAll`);
      }
    });
  });

  test('a getter or a Proxy trap that throws is an InvalidObjectError, not the raw error', async () => {
    await withEach(async (provider, instance) => {
      const throwing = (data: Record<string, unknown>) => {
        Object.defineProperty(data, 'z', {
          enumerable: true,
          get() {
            throw new RangeError('getter refuses');
          },
        });
        return data;
      };
      const metadata = { namespace: 'x' };
      Object.defineProperty(metadata, 'name', {
        enumerable: true,
        get() {
          throw new TypeError('name refuses');
        },
      });
      const trapped = new Proxy(makeObject({ name: 'trapped', namespace: 'x' }), {
        ownKeys() {
          throw new Error('ownKeys refuses');
        },
      });
      for (const [object, message] of [
        [makeObject({ name: 'g', namespace: 'x', data: throwing({}) }), /getter refuses/],
        [{ ...large('g'), data: throwing({ a: 'x'.repeat(INLINE_ENCODE_MAX_CHARS) }) }, /getter refuses/],
        [{ apiVersion: 'v1', kind: 'ConfigMap', metadata } as unknown as RuntimeObject, /name refuses/],
        [trapped, /ownKeys refuses/],
      ] as const) {
        await assert.rejects(
          provider.putObject(instance, object),
          (error: unknown) => error instanceof InvalidObjectError && message.test(error.message),
          `${provider.constructor.name}: ${String(message)}`,
        );
      }
    });
  });

  const revokedProxy = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };

  test('what a getter throws is quoted short and safely: a value String() cannot read, or a 1 MB message, still gives the typed refusal', async () => {
    const unreadableMessage = new Error('unused');
    Object.defineProperty(unreadableMessage, 'message', {
      get() {
        throw new Error('message refuses');
      },
    });
    const thrown: [string, unknown][] = [
      ['a null-prototype object', Object.create(null)],
      ['an Error whose message getter throws', unreadableMessage],
      ['a 1 MB message', new Error('m'.repeat(1_000_000))],
      // instanceof on it runs its trap, which throws.
      ['a revoked Proxy', revokedProxy()],
    ];
    const throwingGetter = <T extends object>(target: T, field: string, value: unknown): T =>
      Object.defineProperty(target, field, {
        enumerable: true,
        get() {
          throw value;
        },
      });
    await withEach(async (provider, instance) => {
      for (const [what, value] of thrown) {
        const name = `${provider.constructor.name}, ${what}`;
        const short = (error: { message: string }) => error.message.length < 1000;
        await assert.rejects(
          provider.putObject(
            instance,
            makeObject({ name: 'g', namespace: 'x', data: throwingGetter({}, 'z', value) }),
          ),
          (error: unknown) => error instanceof InvalidObjectError && short(error),
          `${name}: put`,
        );
        const gvk = throwingGetter(
          { group: '', version: 'v1' },
          'kind',
          value,
        ) as unknown as GroupVersionKind;
        await assert.rejects(
          provider.getObject(instance, gvk, 'x/a'),
          (error: unknown) => error instanceof InvalidGvkError && short(error),
          `${name}: get`,
        );
      }
      assert.deepEqual(await provider.getAllObjects(instance, CONFIG_MAP), []);
    });
  });
});
