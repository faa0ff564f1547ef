import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BackendConfig } from '../../src/backends/factory.js';
import { MachineId, type RuntimeObject } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { fixtureModule } from '../faults/runtime-harness.js';
import { makeObject } from '../helpers/objects.js';

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };
const OPS = 10_000;
const KEYS = 100;

/**
 * Every operation is submitted in one burst, so many batches overlap in the worker; operations on
 * one key must still complete in submission order, and the last one submitted must win.
 */
async function orderingScenario(config: BackendConfig): Promise<void> {
  const provider = new RuntimeProvider([config], { mailbox: { capacity: OPS } });
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const completions = new Map<number, number[]>();
    const expected = new Map<number, RuntimeObject | undefined>();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < OPS; i++) {
      const k = i % KEYS;
      const done = () => {
        const list = completions.get(k) ?? [];
        list.push(i);
        completions.set(k, list);
      };
      if (i % 7 === 3) {
        pending.push(provider.deleteObject(instance, CONFIG_MAP, `order/k${k}`).then(done));
        expected.set(k, undefined);
      } else {
        const object = makeObject({ name: `k${k}`, namespace: 'order', data: { i } });
        pending.push(provider.putObject(instance, object).then(done));
        expected.set(k, object);
      }
    }
    await Promise.all(pending);
    for (const [k, list] of completions) {
      assert.deepEqual(
        list,
        [...list].sort((a, b) => a - b),
        `key ${k} completed in submission order`,
      );
    }
    for (const [k, object] of expected) {
      assert.deepEqual(await provider.getObject(instance, CONFIG_MAP, `order/k${k}`), object, `key k${k}`);
    }
    const live = [...expected.values()].filter((o) => o !== undefined).length;
    assert.equal((await provider.getAllObjects(instance, CONFIG_MAP)).length, live);
  } finally {
    await provider.close();
  }
}

test('10,000 puts and deletes on 100 keys in one burst: per-key submission order, last one wins (memory)', () =>
  orderingScenario({ kind: 'memory', name: 'ordering' }));

test('the same through the file backend, whose group commit runs many keys at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-ordering-'));
  try {
    await orderingScenario({ kind: 'file', dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('on a backend that does not keep call order, a later batch that finishes first does not answer a key ahead of its earlier calls', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-reply-order-'));
  const provider = new RuntimeProvider(
    [{ kind: 'module', module: fixtureModule('slow-key-backend'), name: 'slow-key', options: { dir } }],
    { allowModuleBackends: true, maxBatchOps: 2 },
  );
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const answered: string[] = [];
    const note = (what: string) => () => answered.push(what);
    // Batches of two: [slow, k=v1] then [k=v2, get k]. The second is done ~300 ms before the first.
    await Promise.all([
      provider.putObject(instance, makeObject({ name: 'slow', namespace: 'order' })).then(note('slow')),
      provider
        .putObject(instance, makeObject({ name: 'k', namespace: 'order', data: { v: '1' } }))
        .then(note('k=v1')),
      provider
        .putObject(instance, makeObject({ name: 'k', namespace: 'order', data: { v: '2' } }))
        .then(note('k=v2')),
      provider.getObject(instance, CONFIG_MAP, 'order/k').then(note('get k')),
    ]);
    const onK = answered.filter((what) => what !== 'slow');
    assert.deepEqual(onK, ['k=v1', 'k=v2', 'get k']);
    assert.deepEqual((await provider.getObject(instance, CONFIG_MAP, 'order/k'))?.data, { v: '2' });
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
});
