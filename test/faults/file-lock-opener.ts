// Child process for the lock tests: opens the directory in argv[2] once (as whichever user it was
// started as), reports whose lock it took over or the error's code, and exits.
import { FileBackend, MachineId, StowageError } from '../../src/index.js';

const backend = new FileBackend(process.argv[2]!);
try {
  await backend.open(MachineId.generate());
  process.stdout.write(
    `${JSON.stringify({ tookOverFrom: backend.lockInfo().tookOverFrom?.token ?? null })}\n`,
  );
  await backend.close();
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ error: error instanceof StowageError ? error.code : String(error) })}\n`,
  );
}
