import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GroupVersionKind } from '../../src/contract/gvk.js';
import type { PersistenceProvider, RuntimeObject } from '../../src/contract/types.js';
import { identify } from '../../src/objects/identity.js';
import { parseManifests } from '../../src/objects/manifests.js';
import type { Mix, ObjectSource, OpKind } from './scenarios.js';

/** The kube-prometheus manifests shipped with the repository, the realistic large-object workload. */
export const FIXTURE_DIR = new URL('../../test/fixtures/kube-prometheus/', import.meta.url).pathname;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(path);
      return entry.name.endsWith('.yaml') ? [path] : [];
    })
    .sort();
}

/** Every object of the fixture manifests, multi-document files and `*List` kinds expanded. */
export function loadFixtureObjects(dir = FIXTURE_DIR): RuntimeObject[] {
  return yamlFiles(dir).flatMap((path) => parseManifests(readFileSync(path, 'utf8'), path));
}

interface Slot {
  readonly gvk: GroupVersionKind;
  readonly key: string;
}

/**
 * Key k of the keyspace, as an object to put and as the (gvk, key) to get or delete. Sized objects
 * share one payload string, so a keyspace of 100k costs no memory until a put serializes it.
 * Fixture objects cycle through the manifests, each copy renamed `<name>-<copy>`.
 */
export class Keyspace {
  private readonly templates: readonly RuntimeObject[];
  private readonly payload: string;
  private readonly slots = new Map<number, Slot>();

  constructor(
    readonly size: number,
    readonly source: ObjectSource,
  ) {
    if (source.kind === 'fixtures') {
      this.templates = loadFixtureObjects();
      this.payload = '';
    } else {
      this.templates = [];
      const overhead = JSON.stringify(sizedObject(size - 1, '')).length;
      this.payload = 'x'.repeat(Math.max(0, source.bytes - overhead));
    }
  }

  object(k: number): RuntimeObject {
    if (this.source.kind === 'sized') return sizedObject(k, this.payload);
    const template = this.templates[k % this.templates.length]!;
    const copy = Math.floor(k / this.templates.length);
    return { ...template, metadata: { ...template.metadata, name: `${template.metadata.name}-${copy}` } };
  }

  slot(k: number): Slot {
    let slot = this.slots.get(k);
    if (!slot) {
      slot = identify(this.object(k));
      this.slots.set(k, slot);
    }
    return slot;
  }

  /** Keys after which the objects' kinds repeat: 1 for sized objects, the manifest count for fixtures. */
  get period(): number {
    return this.source.kind === 'sized' ? 1 : this.templates.length;
  }
}

function sizedObject(k: number, payload: string): RuntimeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `lt-${k}`, namespace: 'loadtest' },
    data: { payload },
  };
}

/** Picks operations by weight and keys uniformly, from a seeded generator so runs are repeatable. */
export class OperationPicker {
  private readonly ops: OpKind[];
  private readonly cumulative: number[];
  private state: number;

  constructor(
    mix: Mix,
    private readonly keys: number,
    seed = 0x5eed,
  ) {
    this.ops = (Object.keys(mix) as OpKind[]).filter((op) => mix[op] > 0);
    let sum = 0;
    this.cumulative = this.ops.map((op) => (sum += mix[op]));
    this.state = seed >>> 0;
  }

  next(): { op: OpKind; k: number } {
    const total = this.cumulative.at(-1)!;
    const r = this.random() * total;
    const index = this.cumulative.findIndex((c) => r < c);
    return {
      op: this.ops[index === -1 ? this.ops.length - 1 : index]!,
      k: Math.floor(this.random() * this.keys),
    };
  }

  /** mulberry32: tiny, fast, good enough to spread keys. */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Runs one operation against the instance; the caller times it and classifies its outcome. */
export function execute(
  provider: PersistenceProvider,
  instance: string,
  keyspace: Keyspace,
  op: OpKind,
  k: number,
): Promise<unknown> {
  switch (op) {
    case 'put':
      return provider.putObject(instance, keyspace.object(k));
    case 'get': {
      const { gvk, key } = keyspace.slot(k);
      return provider.getObject(instance, gvk, key);
    }
    case 'delete': {
      const { gvk, key } = keyspace.slot(k);
      return provider.deleteObject(instance, gvk, key);
    }
    case 'list':
      return provider.getAllObjects(instance, keyspace.slot(k).gvk);
  }
}

/** Whether a mix needs the keyspace written first (reads, lists and deletes of absent keys prove little). */
export function needsPreload(mix: Mix): boolean {
  return mix.get > 0 || mix.list > 0 || mix.delete > 0;
}
