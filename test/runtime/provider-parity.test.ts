import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  ClosedError,
  ConfigError,
  FileBackend,
  InitializeFailedError,
  InvalidMachineIdError,
  InvalidRuntimeConfigError,
  LocalProvider,
  MachineId,
  MemoryBackend,
  ObjectTooLargeError,
  type PersistenceProvider,
  UnknownInstanceError,
} from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeObject } from '../helpers/objects.js';

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };

/** Each provider over one memory instance, not yet initialized. */
const PROVIDERS: readonly (() => PersistenceProvider)[] = [
  () => new LocalProvider([{ name: 'memory-parity', backend: new MemoryBackend() }]),
  () => new RuntimeProvider([{ kind: 'memory', name: 'parity' }]),
];

describe('LocalProvider and RuntimeProvider answer bad calls alike, with typed errors', () => {
  test("an object far over the size limit is refused on the caller's thread, not sent to the worker to be refused there", async () => {
    const chunk = 'x'.repeat(1024 * 1024);
    // 100 strings of 1 MiB, shared: cheap to build, 100 MiB to clone.
    const huge = makeObject({
      name: 'huge',
      namespace: 'n',
      data: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, chunk])),
    });
    const providers = [
      new LocalProvider([{ name: 'memory-parity', backend: new MemoryBackend() }]),
      // Before, the copy crossed to this worker whole, which died of it (oom), with the put beside it.
      new RuntimeProvider([{ kind: 'memory', name: 'parity' }], {
        resourceLimits: { maxOldGenerationSizeMb: 64 },
      }),
    ];
    for (const provider of providers) {
      try {
        await provider.initialize(MachineId.generate());
        const [instance] = provider.instances() as [string];
        const beside = provider.putObject(instance, makeObject({ name: 'beside', namespace: 'n' }));
        await assert.rejects(
          provider.putObject(instance, huge),
          ObjectTooLargeError,
          provider.constructor.name,
        );
        assert.equal(await beside, 'n/beside');
        assert.equal(provider.instanceStatus(instance).status, true);
      } finally {
        await provider.close();
      }
    }
  });

  test('an instance name that is not a string is an unknown instance, not a raw TypeError', async () => {
    for (const create of PROVIDERS) {
      const provider = create();
      try {
        await provider.initialize(MachineId.generate());
        for (const name of [1n, { a: 1 }, null]) {
          await assert.rejects(
            provider.getObject(name as unknown as string, CONFIG_MAP, 'x/a'),
            (error: unknown) => error instanceof UnknownInstanceError && error.details.instance === null,
            `${provider.constructor.name} ${typeof name}`,
          );
        }
      } finally {
        await provider.close();
      }
    }
  });

  test('initialize takes a MachineId, and only the one it was first given', async () => {
    for (const create of PROVIDERS) {
      const provider = create();
      const name = provider.constructor.name;
      try {
        await assert.rejects(
          provider.initialize(undefined as unknown as MachineId),
          InvalidMachineIdError,
          name,
        );
        const machine = MachineId.generate();
        await provider.initialize(machine);
        await provider.initialize(MachineId.parse(machine.toString()));
        await assert.rejects(
          provider.initialize(MachineId.generate()),
          (error: unknown) =>
            error instanceof InvalidMachineIdError && /initialized as machine/.test(error.message),
          name,
        );
        const [instance] = provider.instances() as [string];
        await provider.putObject(instance, makeObject({ name: 'still', namespace: 'x' }));
      } finally {
        await provider.close();
      }
    }
  });

  test('initialize cut off by close fails with ClosedError on both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-parity-'));
    try {
      for (const provider of [
        new LocalProvider([{ name: 'file-race', backend: new FileBackend(join(dir, 'local')) }]),
        new RuntimeProvider([{ kind: 'file', dir: join(dir, 'runtime') }]),
      ]) {
        const initializing = provider.initialize(MachineId.generate());
        const closing = provider.close();
        await assert.rejects(initializing, ClosedError, provider.constructor.name);
        await closing;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('after close every call answers ClosedError, whatever instance it names', async () => {
    const provider = new RuntimeProvider([{ kind: 'memory', name: 'closed' }]);
    await provider.initialize(MachineId.generate());
    await provider.close();
    await assert.rejects(provider.putObject('nope', makeObject({ name: 'a' })), ClosedError);
    // It said STOWAGE_UNKNOWN_INSTANCE here, and ClosedError for a known name.
    await assert.rejects(provider.restartInstance('nope'), ClosedError);
    await assert.rejects(provider.restartInstance(provider.instances()[0] as string), ClosedError);
  });

  test('InitializeFailedError says which code each failed instance had', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stowage-parity-'));
    const holder = new FileBackend(dir);
    await holder.open(MachineId.generate());
    try {
      for (const provider of [
        new LocalProvider([{ name: 'file-held', backend: new FileBackend(dir) }]),
        new RuntimeProvider([{ kind: 'file', dir }], { supervisor: { initializeAttempts: 1 } }),
      ]) {
        await assert.rejects(
          provider.initialize(MachineId.generate()),
          (error: unknown) =>
            error instanceof InitializeFailedError && error.details.codes === 'STOWAGE_LOCKED',
          provider.constructor.name,
        );
        await provider.close();
      }
    } finally {
      await holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('constructors refuse what they cannot use, with a configuration error', () => {
    for (const instances of [null, [null], [{ name: '', backend: new MemoryBackend() }], [{ name: 'x' }]]) {
      assert.throws(() => new LocalProvider(instances as never), ConfigError, JSON.stringify(instances));
    }
    for (const maxObjectBytes of [Number.NaN, -1, 0, 1.5]) {
      assert.throws(
        () => new LocalProvider([{ name: 'm', backend: new MemoryBackend() }], { maxObjectBytes }),
        (error: unknown) => error instanceof ConfigError && error.details.field === 'maxObjectBytes',
        String(maxObjectBytes),
      );
    }
    for (const [config, field] of [
      [{ kind: 'bogus' }, 'kind'],
      [{ kind: 'file', dir: 5 }, 'dir'],
      [{ kind: 'memory' }, 'name'],
      [null, 'instances'],
    ] as const) {
      assert.throws(
        () => new RuntimeProvider([config as never]),
        (error: unknown) => error instanceof InvalidRuntimeConfigError && error.details.field === field,
        JSON.stringify(config),
      );
    }
  });
});
