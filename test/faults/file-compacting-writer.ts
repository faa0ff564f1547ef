// Child process for the live-dump test: fills the directory in argv[2] with 200 objects, prints
// `ready`, then overwrites them 16 at a time, compacting all the while, for argv[3] seconds.
import { FileBackend, gvk, MachineId, type ObjectKey } from '../../src/index.js';

const [dir, seconds] = [process.argv[2]!, Number(process.argv[3] ?? 5)];
const configMap = gvk('', 'v1', 'ConfigMap');
const value = (i: number) => Buffer.from(JSON.stringify({ i, pad: 'p'.repeat(500) }));
const backend = new FileBackend(dir, { compactMinBytes: 64 * 1024, compactGarbageRatio: 0.3 });
await backend.open(MachineId.generate());
for (let i = 0; i < 200; i++) await backend.put(configMap, `default/k${i}` as ObjectKey, value(i));
process.stdout.write('ready\n');
const end = Date.now() + seconds * 1000;
for (let i = 0; Date.now() < end; i++) {
  await Promise.all(
    Array.from({ length: 16 }, (_, j) =>
      backend.put(configMap, `default/k${(i * 16 + j) % 200}` as ObjectKey, value(i)),
    ),
  );
}
process.stdout.write(`${JSON.stringify({ compactions: backend.stats().compactions })}\n`);
await backend.close();
