// Child process for the live-dump test: fills the directory in argv[2] with 200 objects, prints
// `ready`, then overwrites them 16 at a time, compacting all the while, for argv[3] seconds and
// until it has compacted argv[4] times: on a machine busy with other tests, a fixed time alone
// allowed too few compactions for the dumps to race. A minute at most, so it always stops.
import { FileBackend, gvk, MachineId, type ObjectKey } from '../../src/index.js';

const [dir, seconds, minCompactions] = [
  process.argv[2]!,
  Number(process.argv[3] ?? 5),
  Number(process.argv[4] ?? 0),
];
const configMap = gvk('', 'v1', 'ConfigMap');
const value = (i: number) => Buffer.from(JSON.stringify({ i, pad: 'p'.repeat(500) }));
const backend = new FileBackend(dir, { compactMinBytes: 64 * 1024, compactGarbageRatio: 0.3 });
await backend.open(MachineId.generate());
for (let i = 0; i < 200; i++) await backend.put(configMap, `default/k${i}` as ObjectKey, value(i));
process.stdout.write('ready\n');
const started = Date.now();
const done = () =>
  Date.now() - started >= 60_000 ||
  (Date.now() - started >= seconds * 1000 && backend.stats().compactions >= minCompactions);
for (let i = 0; !done(); i++) {
  await Promise.all(
    Array.from({ length: 16 }, (_, j) =>
      backend.put(configMap, `default/k${(i * 16 + j) % 200}` as ObjectKey, value(i)),
    ),
  );
}
process.stdout.write(`${JSON.stringify({ compactions: backend.stats().compactions })}\n`);
await backend.close();
