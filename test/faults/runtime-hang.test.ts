import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ActorDiedError, ClosedError, MachineId } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeObject } from '../helpers/objects.js';
import { crashScenario, faultHarness, fixtureModule, RecordingObserver } from './runtime-harness.js';

test('a worker stuck in a busy loop is detected by the age of its oldest task, terminated, and replaced; pending ops fail typed, acknowledged writes survive', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('hang-backend', { supervisor: { hangTimeoutMs: 300 } });
  try {
    await h.provider.initialize(MachineId.generate());
    await crashScenario(h, 'hang');
  } finally {
    await h.dispose();
  }
});

test('a hung worker is judged by hangTimeoutMs even while a probe waits behind the hung task, not only once that probe times out', {
  timeout: 60_000,
}, async () => {
  const h = await faultHarness('hang-backend', {
    supervisor: { hangTimeoutMs: 300, probeTimeoutMs: 20_000 },
  });
  try {
    await h.provider.initialize(MachineId.generate());
    const started = performance.now();
    await assert.rejects(
      h.provider.putObject(h.faulty, makeObject({ name: 'boom', namespace: 'hang' })),
      (error: unknown) => error instanceof ActorDiedError && error.details.reason === 'hang',
    );
    const took = performance.now() - started;
    // Before, the probe sent into the hung worker held the age check off for its 20 s timeout.
    assert.ok(took < 10_000, `the hang was detected after ${Math.round(took)} ms`);
  } finally {
    await h.dispose();
  }
});

test('an instance that is up is watched while initialize() still waits on another: its hung worker is replaced before that open ends', {
  timeout: 60_000,
}, async () => {
  const dirs = await Promise.all([0, 1].map(() => mkdtemp(join(tmpdir(), 'stowage-fault-watch-'))));
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider(
    [
      { kind: 'module', module: fixtureModule('hang-backend'), name: 'hangs', options: { dir: dirs[0] } },
      // Its open never settles: initialize() waits the whole openTimeoutMs for it.
      {
        kind: 'module',
        module: fixtureModule('flaky-init-backend'),
        name: 'opening',
        options: { dir: dirs[1], failures: 1, mode: 'hang' },
      },
    ],
    {
      allowModuleBackends: true,
      observer,
      supervisor: { initializeAttempts: 1, openTimeoutMs: 30_000, probeIntervalMs: 50, hangTimeoutMs: 300 },
    },
  );
  const [hangs] = provider.instances() as [string, string];
  let initializeSettled = false;
  const initializing = provider
    .initialize(MachineId.generate())
    .catch((error: unknown) => error)
    .finally(() => {
      initializeSettled = true;
    });
  try {
    await observer.until(() => observer.statesOf(hangs).includes('up:up'));
    await assert.rejects(
      provider.putObject(hangs, makeObject({ name: 'boom', namespace: 'hang' })),
      (error: unknown) => error instanceof ActorDiedError && error.details.reason === 'hang',
    );
    // Before, probing began only once every start had ended: 30 s later, when this open timed out.
    assert.equal(initializeSettled, false);
  } finally {
    await provider.close();
    // close() cut the open off.
    assert.ok((await initializing) instanceof ClosedError);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
});
