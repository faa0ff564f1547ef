// The power-loss harness's control: appends fixed records to argv[2], syncing each with fdatasync
// or not at all (argv[4]: `fdatasync` | `none`), and records each acknowledged record's number in
// argv[3] with a synchronous write, until it is killed. Without syncs a cut must lose records: if
// it does not, the harness cannot see a missing sync, and says so.
import { fdatasyncSync, openSync, writeSync } from 'node:fs';
import { setImmediate as turn } from 'node:timers/promises';
import { CONTROL_RECORD } from './control-record.js';

const [, , file, ackFile, sync] = process.argv as [string, string, string, string, string];
const data = openSync(file, 'a');
const acks = openSync(ackFile, 'a');
process.stdout.write('ready\n');
for (let record = 0; ; record++) {
  writeSync(data, CONTROL_RECORD);
  if (sync === 'fdatasync') fdatasyncSync(data);
  writeSync(acks, `${record}\n`);
  process.stdout.write('.\n');
  // Lets stdout drain: the parent counts these lines to know when to kill.
  if (record % 64 === 63) await turn();
}
