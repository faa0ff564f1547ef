import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorDiedError } from '../../src/index.js';
import type { RuntimeObserver } from '../../src/runtime/observer.js';
import type { RuntimeOptions } from '../../src/runtime/options.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeObject } from '../helpers/objects.js';

export interface StateChange {
  readonly store: string;
  readonly up: boolean;
  readonly reason: string;
  /** What failed, as the supervisor reported it with the change. */
  readonly detail: string | undefined;
  /** The other instance's status at that moment: the fault must not touch it. */
  readonly otherUp: boolean;
}

/** Records what the runtime reports, and lets a test wait for an event instead of sleeping. */
export class RecordingObserver implements RuntimeObserver {
  readonly restarts: { store: string; reason: string }[] = [];
  readonly states: StateChange[] = [];
  readonly probes: { store: string; ok: boolean }[] = [];
  rejected = 0;
  completed = 0;
  /** Set by the harness once the provider exists. */
  statusOf: (store: string) => boolean = () => false;
  otherOf: (store: string) => string = () => '';
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  operationCompleted(_event: Parameters<RuntimeObserver['operationCompleted']>[0]): void {
    this.completed++;
  }
  queueWaited(_store: string, _backend: string, _seconds: number): void {}
  queueRejected(): void {
    this.rejected++;
    this.poke();
  }
  actorRestarted(store: string, _backend: string, reason: string): void {
    this.restarts.push({ store, reason });
    this.poke();
  }
  probed(store: string, _backend: string, _seconds: number, ok: boolean): void {
    this.probes.push({ store, ok });
    this.poke();
  }
  opened(_store: string, _backend: string, _tornTailBytes: number): void {}
  instanceStateChanged(store: string, _backend: string, up: boolean, reason: string, detail?: string): void {
    this.states.push({ store, up, reason, detail, otherUp: this.statusOf(this.otherOf(store)) });
    this.poke();
  }

  /**
   * Resolves once `check()` holds; checked after every event. It holds the event loop open
   * meanwhile: the idle worker and the supervisor's timers do not, and Node 22's test runner ends
   * a test whose loop has nothing left (cancelled: "Promise resolution is still pending").
   */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    const keepAlive = setInterval(() => undefined, 1000);
    return new Promise<void>((resolve) => this.waiters.push({ check, resolve })).finally(() =>
      clearInterval(keepAlive),
    );
  }

  statesOf(store: string): string[] {
    return this.states.filter((s) => s.store === store).map((s) => `${s.up ? 'up' : 'down'}:${s.reason}`);
  }

  private poke(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }
}

export interface Harness {
  readonly provider: RuntimeProvider;
  readonly observer: RecordingObserver;
  /** The instance backed by the fault fixture. */
  readonly faulty: string;
  /** A healthy memory instance beside it. */
  readonly healthy: string;
  readonly dir: string;
  dispose(): Promise<void>;
}

export function fixtureModule(name: string): string {
  return fileURLToPath(new URL(`../fixtures/workers/${name}.ts`, import.meta.url));
}

/** A provider with one instance on the named fault fixture and one healthy memory instance. */
export async function faultHarness(
  fixture: string,
  options: RuntimeOptions = {},
  fixtureOptions: Record<string, unknown> = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), `stowage-fault-${fixture}-`));
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider(
    [
      { kind: 'module', module: fixtureModule(fixture), name: fixture, options: { dir, ...fixtureOptions } },
      { kind: 'memory', name: 'healthy' },
    ],
    {
      allowModuleBackends: true,
      observer,
      ...options,
      supervisor: { backoffBaseMs: 5, backoffMaxMs: 50, probeIntervalMs: 50, ...options.supervisor },
    },
  );
  const [faulty, healthy] = provider.instances() as [string, string];
  observer.statusOf = (store) => provider.instanceStatus(store).status;
  observer.otherOf = (store) => (store === faulty ? healthy : faulty);
  return {
    provider,
    observer,
    faulty,
    healthy,
    dir,
    async dispose() {
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' } as const;

/**
 * The scenario every crash fixture must survive: acknowledged writes, then a put named `boom`
 * that kills the worker amid other puts, while the healthy instance keeps serving.
 */
/** `boomMessage`: what the error of the operation that killed the worker must say of the cause. */
export async function crashScenario(h: Harness, expectedReason: string, boomMessage?: RegExp): Promise<void> {
  const { provider, observer, faulty, healthy } = h;
  const acknowledged = new Map<string, ReturnType<typeof makeObject>>();
  for (let i = 0; i < 20; i++) {
    const object = makeObject({ name: `acked-${i}`, namespace: 'faults', data: { i } });
    acknowledged.set(await provider.putObject(faulty, object), object);
  }

  const healthyLoad = Array.from({ length: 200 }, (_, i) =>
    provider.putObject(healthy, makeObject({ name: `h-${i}`, namespace: 'faults' })),
  );
  const inflight = Array.from({ length: 10 }, (_, i) =>
    makeObject({ name: `inflight-${i}`, namespace: 'faults', data: { i } }),
  );
  const boom = provider.putObject(faulty, makeObject({ name: 'boom', namespace: 'faults' }));
  const outcomes = await Promise.allSettled([boom, ...inflight.map((o) => provider.putObject(faulty, o))]);

  const [boomOutcome, ...rest] = outcomes;
  assert.equal(boomOutcome?.status, 'rejected');
  assertDied(boomOutcome.reason, expectedReason);
  // Before, the message said only "(error)", not what the worker died of.
  if (boomMessage) assert.match((boomOutcome.reason as Error).message, boomMessage);
  rest.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') acknowledged.set(outcome.value, inflight[i]!);
    else assertDied(outcome.reason, expectedReason);
  });

  await observer.until(() => observer.statesOf(faulty).length >= 3);
  assert.deepEqual(observer.statesOf(faulty), ['up:up', `down:${expectedReason}`, 'up:up']);
  assert.deepEqual(
    observer.restarts.filter((r) => r.store === faulty),
    [{ store: faulty, reason: expectedReason }],
  );
  assert.ok(
    observer.states.filter((s) => s.store === faulty).every((s) => s.otherUp),
    'the healthy instance was up whenever the faulty one changed state',
  );
  assert.deepEqual(observer.statesOf(healthy), ['up:up'], 'the healthy instance never went down');
  assert.equal((await Promise.all(healthyLoad)).length, 200);
  assert.equal((await provider.getAllObjects(healthy, CONFIG_MAP)).length, 200);

  assert.equal(provider.instanceStatus(faulty).status, true);
  for (const [key, object] of acknowledged) {
    assert.deepEqual(
      await provider.getObject(faulty, CONFIG_MAP, key),
      object,
      `acknowledged ${key} survived`,
    );
  }
  const after = makeObject({ name: 'after-restart', namespace: 'faults' });
  assert.equal(await provider.putObject(faulty, after), 'faults/after-restart');
  assert.deepEqual(await provider.getObject(faulty, CONFIG_MAP, 'faults/after-restart'), after);
}

/** Puts the fixture's `boom` object, which kills the worker, and checks the put failed for `reason`. */
export async function putBoom(h: Harness, reason: string): Promise<void> {
  const boom = h.provider.putObject(h.faulty, makeObject({ name: 'boom', namespace: 'faults' }));
  await assert.rejects(boom, (error: unknown) => {
    assertDied(error, reason);
    return true;
  });
}

export function assertDied(error: unknown, reason: string): void {
  assert.ok(error instanceof ActorDiedError, `${error}`);
  assert.equal(error.details.reason, reason);
}
