import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { droppedConnectionsLog } from '../../src/cli/commands/serve.js';
import { connectionBudget, openFileLimit, reservedDescriptors } from '../../src/server/connection-budget.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             95396                95396                processes
Max open files            256                  1024                 files
Max locked memory         8388608              8388608              bytes
`;

test('the open-file limit is the soft one from /proc/self/limits; unreadable or unlimited is unknown', () => {
  assert.equal(
    openFileLimit(() => LIMITS),
    256,
  );
  assert.equal(
    openFileLimit(() => LIMITS.replace('256  ', 'unlimited')),
    undefined,
  );
  assert.equal(
    openFileLimit(() => {
      throw new Error('ENOENT');
    }),
    undefined,
  );
  // This process's, on Linux, where CI runs.
  if (process.platform === 'linux') assert.ok((openFileLimit() ?? 0) > 0);
});

test('connections are lowered to what the limit leaves beside the reserve, never below 8; never raised', () => {
  const reserved = reservedDescriptors([{ kind: 'file' }, { kind: 's3', maxSockets: 64 }]);
  // 64 for the process, 16 per instance, and the S3 instance's sockets and its probe's.
  assert.equal(reserved, 64 + 16 + 16 + 65);
  assert.deepEqual(connectionBudget(1024, 256, 80), { maxConnections: 176, lowered: true });
  assert.deepEqual(connectionBudget(1024, 20_000, 80), { maxConnections: 1024, lowered: false });
  assert.deepEqual(connectionBudget(1024, undefined, 80), { maxConnections: 1024, lowered: false });
  assert.deepEqual(connectionBudget(1024, 50, 80), { maxConnections: 8, lowered: true });
  assert.deepEqual(connectionBudget(100, 256, 80), { maxConnections: 100, lowered: false });
  // The floor never raises what was configured: before, 4 became 8, "lowered".
  assert.deepEqual(connectionBudget(4, 82, 80), { maxConnections: 4, lowered: false });
});

test('connections refused in a burst are all logged: the first at once, the rest when the window is up', async () => {
  const lines: string[] = [];
  const dropped = droppedConnectionsLog(176, (line) => lines.push(line), 200);
  for (let i = 0; i < 440; i++) dropped();
  assert.equal(lines.length, 1);
  assert.match(lines[0] as string, / 1 connection\(s\) refused: server\.maxConnections \(176\) were open\n$/);
  // Before, the other 439 waited for a refusal after the window, which may never come.
  await sleep(400);
  assert.equal(lines.length, 2);
  assert.match(lines[1] as string, / 439 connection\(s\) refused/);
});
