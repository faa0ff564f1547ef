// Child process for the lock tests: takes the lock of the directory in argv[2], reports it, and
// waits to be killed, so the lock it leaves behind is stale.
import { FileBackend, MachineId } from '../../src/index.js';

const backend = new FileBackend(process.argv[2]!);
const machineId = MachineId.generate();
await backend.open(machineId);
process.stdout.write(
  `${JSON.stringify({ locked: true, machineId: machineId.toString(), pid: process.pid })}\n`,
);
setInterval(() => {}, 1 << 30);
