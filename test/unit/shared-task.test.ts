import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedTask } from '../../src/store/shared-task.js';

test('a shared task is joined by calls with the same key while it runs, and started afresh after it settles', async () => {
  const shared = new SharedTask<string, number>();
  let starts = 0;
  let finish: (value: number) => void = () => undefined;
  const start = () => {
    starts++;
    return new Promise<number>((resolve) => {
      finish = resolve;
    });
  };
  const first = shared.run('a', start);
  assert.equal(shared.run('a', start), first, 'joined');
  assert.equal(starts, 1);
  const other = shared.run('b', start);
  assert.notEqual(other, first, 'another key starts its own');
  assert.equal(shared.run('b', start), other, 'and later calls join that one');
  assert.equal(starts, 2);
  finish(7);
  assert.equal(await other, 7);
  await shared.run('b', () => Promise.resolve(8)).then((value) => assert.equal(value, 8));
  assert.equal(await shared.run('b', () => Promise.reject(new Error('x'))).catch(String), 'Error: x');
  assert.equal(await shared.run('b', () => Promise.resolve(9)), 9, 'a failed task is not kept');
});
