import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { cpuPerOperation, type ThreadCpuSnapshot, threadCpuSnapshot } from '../../bench/thread-cpu.js';

test('CPU per operation is each role summed over its threads, divided by the operations; a thread new since the first snapshot counts from zero', () => {
  const before: ThreadCpuSnapshot = new Map([
    [1, { role: 'caller', ns: 1_000_000 }],
    [2, { role: 'worker', ns: 5_000_000 }],
  ]);
  const after: ThreadCpuSnapshot = new Map([
    [1, { role: 'caller', ns: 3_000_000 }],
    [2, { role: 'worker', ns: 9_000_000 }],
    [3, { role: 'v8', ns: 400_000 }],
    [4, { role: 'v8', ns: 600_000 }],
  ]);
  assert.deepEqual(cpuPerOperation(before, after, 100), {
    caller: 20,
    worker: 40,
    v8: 10,
    libuv: 0,
    other: 0,
  });
});

test('on Linux the snapshot finds the caller and a worker_threads thread by role, and their CPU time grows while they compute', {
  skip: process.platform !== 'linux' && 'reads /proc',
}, async () => {
  const spin = (ms: number) => `const end = performance.now() + ${ms}; while (performance.now() < end);`;
  const worker = new Worker(
    `${spin(100)} require('node:worker_threads').parentPort.postMessage('done'); setInterval(() => {}, 1000);`,
    {
      eval: true,
    },
  );
  try {
    await once(worker, 'online');
    const before = threadCpuSnapshot();
    assert.ok(before, 'no schedstat under /proc/self/task');
    const end = performance.now() + 50;
    while (performance.now() < end);
    await once(worker, 'message');
    const after = threadCpuSnapshot()!;
    const roles = new Set([...after.values()].map((thread) => thread.role));
    assert.ok(roles.has('caller') && roles.has('worker'), `roles seen: ${[...roles].join(', ')}`);
    const used = cpuPerOperation(before, after, 1);
    assert.ok(used.caller > 0, `the caller's thread used ${used.caller} µs`);
    assert.ok(used.worker > 0, `the worker used ${used.worker} µs`);
  } finally {
    await worker.terminate();
  }
});
