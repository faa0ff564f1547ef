import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateLog } from '../../src/app/state-log.js';
import { combineObservers } from '../../src/runtime/combine-observers.js';
import type { RuntimeObserver } from '../../src/runtime/observer.js';

const AT = new Date('2026-11-30T08:00:00.000Z');

function stateLog(): { log: StateLog; lines: string[] } {
  const lines: string[] = [];
  return {
    log: new StateLog(
      (line) => lines.push(line),
      () => AT,
    ),
    lines,
  };
}

test('the state log prints an instance going down with its reason and detail, failed starts once per cause, the restart limit, and coming back up', () => {
  const { log, lines } = stateLog();
  log.instanceStateChanged('file-a', 'file', true, 'up');
  log.instanceStateChanged('file-a', 'file', false, 'hang', 'a task has been in flight for 30001 ms');
  // A start that keeps failing the same way, at every backoff step of a long outage.
  for (let step = 0; step < 5; step++) {
    log.instanceStateChanged(
      'file-a',
      'file',
      false,
      'initialize',
      'STOWAGE_LOCKED: held by another process',
    );
  }
  log.instanceStateChanged('file-a', 'file', false, 'initialize', 'STOWAGE_FILE_IO: EIO');
  log.instanceStateChanged('file-a', 'file', true, 'up');
  log.instanceStateChanged('file-a', 'file', false, 'exit', 'the worker exited with code 1');
  log.instanceStateChanged('file-a', 'file', false, 'intensity', 'exit: the worker exited with code 1');
  log.instanceStateChanged('file-a', 'file', false, 'closed');
  // Never up before: its first start failed, and it is up now.
  log.instanceStateChanged('file-b', 'file', false, 'initialize', 'STOWAGE_LOCKED: held by another process');
  log.instanceStateChanged('file-b', 'file', true, 'up');
  const failed = (why: string) =>
    `2026-11-30T08:00:00.000Z instance file-a failed to start: ${why} (retried with backoff; printed again when it changes)\n`;
  assert.deepEqual(lines, [
    '2026-11-30T08:00:00.000Z instance file-a is down (hang): a task has been in flight for 30001 ms\n',
    failed('STOWAGE_LOCKED: held by another process'),
    failed('STOWAGE_FILE_IO: EIO'),
    '2026-11-30T08:00:00.000Z instance file-a is up\n',
    '2026-11-30T08:00:00.000Z instance file-a is down (exit): the worker exited with code 1\n',
    '2026-11-30T08:00:00.000Z instance file-a stays down: restarted more than supervisor.maxRestarts times ' +
      'within supervisor.withinMs (last failure exit: the worker exited with code 1); once that is mended, ' +
      'POST /api/v1/instances/file-a/restart (restartInstance()) brings it back\n',
    '2026-11-30T08:00:00.000Z instance file-b failed to start: STOWAGE_LOCKED: held by another process (retried with backoff; printed again when it changes)\n',
    '2026-11-30T08:00:00.000Z instance file-b is up\n',
  ]);
});

test('the state log prints a compaction failing once, however many probes find it so, and once when it succeeds again, per instance', () => {
  const { log, lines } = stateLog();
  log.compactionChecked('file-a', 'file', false);
  for (let probe = 0; probe < 5; probe++) log.compactionChecked('file-a', 'file', true, `no room (${probe})`);
  log.compactionChecked('file-b', 'file', true, 'EIO');
  log.compactionChecked('file-a', 'file', false);
  log.compactionChecked('file-a', 'file', false);
  // A restarted worker has tried no compaction yet: its first report is no news of success.
  log.instanceStateChanged('file-b', 'file', false, 'hang', 'stuck');
  log.instanceStateChanged('file-b', 'file', true, 'up');
  log.compactionChecked('file-b', 'file', false);
  assert.deepEqual(lines, [
    '2026-11-30T08:00:00.000Z instance file-a: compaction failing, its log grows until one succeeds: no room (0)\n',
    '2026-11-30T08:00:00.000Z instance file-b: compaction failing, its log grows until one succeeds: EIO\n',
    '2026-11-30T08:00:00.000Z instance file-a: compaction succeeded again\n',
    '2026-11-30T08:00:00.000Z instance file-b is down (hang): stuck\n',
    '2026-11-30T08:00:00.000Z instance file-b is up\n',
  ]);
});

test('combined observers each get every event they have a hook for, in order; with none there is no observer', () => {
  const seen: string[] = [];
  const full: RuntimeObserver = {
    operationCompleted: (event) => seen.push(`full op ${event.operation}`),
    queueWaited: (store) => seen.push(`full waited ${store}`),
    queueRejected: (store) => seen.push(`full rejected ${store}`),
    actorRestarted: (store, _backend, reason) => seen.push(`full restarted ${store} ${reason}`),
    probed: (store, _backend, _seconds, ok) => seen.push(`full probed ${store} ${ok}`),
    opened: (store, _backend, torn) => seen.push(`full opened ${store} ${torn}`),
    compactionChecked: (store, _backend, failing, why) =>
      seen.push(`full compaction ${store} ${failing} ${why}`),
    instanceStateChanged: (store, _backend, up, reason, detail) =>
      seen.push(`full state ${store} ${up} ${reason} ${detail}`),
  };
  const partial = {
    name: 'partial',
    instanceStateChanged(store: string, _backend: string, up: boolean) {
      seen.push(`${this.name} state ${store} ${up}`);
    },
  };
  const combined = combineObservers(full, undefined, partial);
  assert.ok(combined);
  combined.operationCompleted({ store: 's', backend: 'b', operation: 'put', seconds: 1 });
  combined.queueWaited('s', 'b', 1);
  combined.queueRejected('s', 'b');
  combined.actorRestarted('s', 'b', 'exit');
  combined.probed('s', 'b', 1, true);
  combined.opened?.('s', 'b', 7);
  combined.compactionChecked?.('s', 'b', true, 'ENOSPC');
  combined.instanceStateChanged?.('s', 'b', false, 'exit', 'code 1');
  assert.deepEqual(seen, [
    'full op put',
    'full waited s',
    'full rejected s',
    'full restarted s exit',
    'full probed s true',
    'full opened s 7',
    'full compaction s true ENOSPC',
    'full state s false exit code 1',
    'partial state s false',
  ]);
  assert.equal(combineObservers(undefined), undefined);
  assert.equal(
    combineObservers(undefined, full),
    full,
    'one observer with every required hook is used as it is',
  );
  // One with only some hooks is completed with hooks that do nothing.
  const alone = combineObservers(partial);
  assert.ok(alone && alone !== (partial as unknown));
  alone.operationCompleted({ store: 's', backend: 'b', operation: 'get', seconds: 1 });
  alone.instanceStateChanged?.('t', 'b', true, 'up');
  assert.equal(seen.at(-1), 'partial state t true');
});
