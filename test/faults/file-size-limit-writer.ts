// Child process of the file-size-limit test, run under `ulimit -f`: a disk that fills mid-write
// behaves alike (the kernel writes what fits, then the next write fails). It puts 3 KB values
// to the instance in argv[2] until one fails and prints one JSON line: the index of the failed put
// and its error, or the open's error if the instance could not be opened. FileBackend options come
// in STOWAGE_LIMIT_OPTIONS.
import { FileBackend, type FileIoError, gvk, MachineId, type ObjectKey } from '../../src/index.js';

const backend = new FileBackend(process.argv[2]!, JSON.parse(process.env.STOWAGE_LIMIT_OPTIONS ?? '{}'));
try {
  await backend.open(MachineId.generate());
} catch (error) {
  const { code, details } = error as FileIoError;
  process.stdout.write(`${JSON.stringify({ open: { code, details } })}\n`);
  process.exit(0);
}
const kind = gvk('', 'v1', 'ConfigMap');
let failed: { index: number; code: string; details: unknown } | undefined;
for (let i = 0; i < 10_000 && !failed; i++) {
  try {
    await backend.put(kind, `default/k${i}` as ObjectKey, Buffer.from(`${i}:`.padEnd(3000, 'x')));
  } catch (error) {
    failed = { index: i, code: (error as FileIoError).code, details: (error as FileIoError).details };
  }
}
process.stdout.write(`${JSON.stringify({ failed })}\n`);
await backend.close().catch(() => undefined);
