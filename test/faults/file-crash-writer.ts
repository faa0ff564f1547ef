// Child process of the crash test: writes continuously to the file instance in argv[2] and appends
// `<key> <version>` to the file argv[3] for every acknowledged write, until the parent SIGKILLs it.
// STOWAGE_CRASH_VERSIONS holds, per key, the last version known to be applied; STOWAGE_CRASH_IO
// picks the log's I/O mode (FileBackendOptions.blockingIo), and STOWAGE_CRASH_LOG_SYNC, when set,
// how its writes are made durable (FileBackendOptions.logSync), and STOWAGE_CRASH_COMPACT_MIN_BYTES,
// when set, replaces the model's compactMinBytes.
import { openSync, writeSync } from 'node:fs';
import { FileBackend, type LogSync, MachineId } from '../../src/index.js';
import { CRASH_BACKEND_OPTIONS, CRASH_KEYS, CRASH_KIND, expectedValue } from './file-crash-model.js';

const versions = JSON.parse(process.env.STOWAGE_CRASH_VERSIONS ?? '{}') as Record<string, number>;
const logSync = process.env.STOWAGE_CRASH_LOG_SYNC as LogSync | '';
const compactMinBytes = Number(
  process.env.STOWAGE_CRASH_COMPACT_MIN_BYTES || CRASH_BACKEND_OPTIONS.compactMinBytes,
);
const backend = new FileBackend(process.argv[2]!, {
  ...CRASH_BACKEND_OPTIONS,
  compactMinBytes,
  blockingIo: process.env.STOWAGE_CRASH_IO === 'blocking',
  ...(logSync ? { logSync } : {}),
});
await backend.open(MachineId.generate());
// A synchronous write to a regular file survives SIGKILL; stdout on a pipe is asynchronous and
// could lose the last acknowledgements, so it only tells the parent how far the writer got.
const acks = openSync(process.argv[3]!, 'a');
process.stdout.write('ready\n');

await Promise.all(
  CRASH_KEYS.map(async (key) => {
    for (let version = (versions[key] ?? -1) + 1; ; version++) {
      const value = expectedValue(key, version);
      if (value) await backend.put(CRASH_KIND, key, value);
      else await backend.delete(CRASH_KIND, key);
      writeSync(acks, `${key} ${version}\n`);
      process.stdout.write('.\n');
    }
  }),
);
