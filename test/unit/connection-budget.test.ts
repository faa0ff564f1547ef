import assert from 'node:assert/strict';
import { test } from 'node:test';
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
});
