// Measures resident memory after random overwrites, in a fresh process with a collectable heap:
//   node --expose-gc --import tsx bench/file-churn-child.ts <dir> <objects> <overwrites> <direct|runtime>
// Fills a file instance through LocalProvider (the full direct path) or RuntimeProvider (the index
// then lives in the actor's worker, in the same process) with <objects> 2 KiB objects,
// overwrites random ones <overwrites> times at 64 in flight, then prints one JSON line: bytes of
// the live values (canonical JSON), and resident, ArrayBuffer and heap memory gained over the
// start, after collection.
import {
  FileBackend,
  instanceName,
  LocalProvider,
  MachineId,
  type PersistenceProvider,
} from '../src/index.js';
import { RuntimeProvider } from '../src/runtime/runtime-provider.js';
import { collect, collectFully } from './collect.js';
import { sizedObject } from './file-load.js';

const [dir, objectsArg, overwritesArg, path] = process.argv.slice(2) as [string, string, string, string];
collect();
const count = Number(objectsArg);
const overwrites = Number(overwritesArg);

const objects = Array.from({ length: count }, (_, i) => sizedObject(`churn-${i}`));
// Encoding flattens each payload string; do it now, so the heap growth measured is stowage's. Key
// order aside, JSON.stringify gives the canonical JSON's length.
const valueBytes = objects.reduce((sum, object) => sum + Buffer.byteLength(JSON.stringify(object)), 0);

/** Resident, ArrayBuffer and heap bytes once garbage is collected. */
async function settled(): Promise<{ rss: number; arrayBuffers: number; heapUsed: number }> {
  await collectFully();
  const { rss, arrayBuffers, heapUsed } = process.memoryUsage();
  return { rss, arrayBuffers, heapUsed };
}

const before = await settled();
const provider: PersistenceProvider =
  path === 'runtime'
    ? new RuntimeProvider([{ kind: 'file', dir }])
    : new LocalProvider([{ name: instanceName('file', dir), backend: new FileBackend(dir) }]);
await provider.initialize(MachineId.generate());
const [name] = provider.instances() as [string];

/** 64 callers put `pick(i)` for i = 0 … total − 1. */
async function puts(total: number, pick: (i: number) => number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < total) await provider.putObject(name, objects[pick(next++)]!);
    }),
  );
}

await puts(count, (i) => i);
await puts(overwrites, () => Math.floor(Math.random() * count));
const after = await settled();
await provider.close();
process.stdout.write(
  `${JSON.stringify({
    valueBytes,
    rss: after.rss - before.rss,
    arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    heapUsed: after.heapUsed - before.heapUsed,
  })}\n`,
);
