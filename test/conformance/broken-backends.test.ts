import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CorruptObjectError,
  type GroupVersionKind,
  gvkString,
  MemoryBackend,
  type MemoryVolume,
  type ObjectKey,
} from '../../src/index.js';
import { memoryTarget } from './memory-target.js';
import { type ConformanceCase, conformanceCases } from './suite.js';

/** Acknowledges every put but keeps only the first write of each key's GVK: later writes vanish. */
class DroppingBackend extends MemoryBackend {
  private writes = 0;
  override async put(gvk: GroupVersionKind, key: ObjectKey, bytes: Uint8Array): Promise<void> {
    if (this.writes++ % 2 === 1) return;
    await super.put(gvk, key, bytes);
  }
}

/** Lists by string prefix, the classic bug: `Machine` lists `MachineSet`, namespace `a` lists `ab`. */
class LeakyBackend extends MemoryBackend {
  constructor(private readonly store: MemoryVolume) {
    super(store);
  }
  override async *list(gvk: GroupVersionKind) {
    const prefix = gvkString(gvk);
    for (const [id, records] of this.store) {
      if (!id.startsWith(prefix)) continue;
      for (const [key, bytes] of records) yield { key, bytes };
    }
  }
}

/** Never overwrites: a second put of a key is acknowledged, and the first version stays. */
class StaleBackend extends MemoryBackend {
  /** Its put awaits a read before writing, so overlapping calls on one key are not applied in order. */
  override readonly keepsCallOrder = false;
  override async put(gvk: GroupVersionKind, key: ObjectKey, bytes: Uint8Array): Promise<void> {
    if ((await this.get(gvk, key)) === undefined) await super.put(gvk, key, bytes);
  }
}

function find(name: string): ConformanceCase {
  const found = conformanceCases.find((c) => c.name.startsWith(name));
  assert.ok(found, `conformance case "${name}" exists`);
  return found;
}

describe('the conformance suite catches broken backends', () => {
  test('a backend that drops writes fails read-after-write and listing', async () => {
    const target = memoryTarget('dropping', (volume) => new DroppingBackend(volume));
    await assert.rejects(find('listing thousands').run(target), assert.AssertionError);
    await assert.rejects(find('delete removes').run(target), assert.AssertionError);
  });

  test('a backend that leaks across kinds and namespaces fails isolation', async () => {
    const target = memoryTarget('leaky', (volume) => new LeakyBackend(volume));
    // Reads check that each object is the one its address names, so the leaked MachineSet is
    // caught as corrupt before the case's own assertion sees it: either way the backend fails.
    await assert.rejects(
      find('kind Machine never lists MachineSet').run(target),
      (error: unknown) => error instanceof assert.AssertionError || error instanceof CorruptObjectError,
    );
  });

  test('a backend that returns stale data after an overwrite fails overwrite and ordering', async () => {
    const target = memoryTarget('stale', (volume) => new StaleBackend(volume));
    await assert.rejects(find('overwrite replaces').run(target), assert.AssertionError);
    await assert.rejects(find('100 keys').run(target), assert.AssertionError);
  });

  test('the healthy memory backend passes the same cases', async () => {
    const target = memoryTarget();
    for (const name of [
      'listing thousands',
      'delete removes',
      'kind Machine',
      'overwrite replaces',
      '100 keys',
    ]) {
      await find(name).run(target);
    }
  });
});
