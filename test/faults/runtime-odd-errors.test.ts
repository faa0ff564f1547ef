import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_WIRE_MESSAGE_CHARS } from '../../src/errors/base.js';
import {
  gvk,
  InitializeFailedError,
  LocalProvider,
  MachineId,
  MemoryBackend,
  StowageError,
} from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeObject } from '../helpers/objects.js';
import { fixtureModule, RecordingObserver } from './runtime-harness.js';

const CONFIG_MAP = gvk('', 'v1', 'ConfigMap');
const ODD_KINDS = ['null-prototype', 'message-getter', 'proxy', 'function-details', 'huge'];

test('a custom backend that throws what cannot be turned into text or cloned fails that operation alone, typed, and the worker serves on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-odd-'));
  const observer = new RecordingObserver();
  const provider = new RuntimeProvider(
    [{ kind: 'module', module: fixtureModule('odd-throw-backend'), name: 'odd', options: { dir } }],
    { allowModuleBackends: true, observer },
  );
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    for (const odd of ODD_KINDS) {
      // Submitted in one turn, so the odd put travels in a batch with the others.
      const others = Array.from({ length: 20 }, (_, i) => `${odd}-fine-${i}`);
      const settled = await Promise.allSettled([
        provider.putObject(instance, makeObject({ namespace: 'ns', name: `odd-${odd}` })),
        ...others.map((name) => provider.putObject(instance, makeObject({ namespace: 'ns', name }))),
      ]);
      const [failed, ...stored] = settled;
      assert.equal(failed?.status, 'rejected', odd);
      const error = (failed as PromiseRejectedResult).reason;
      assert.ok(error instanceof StowageError, `${odd}: ${String(error)}`);
      assert.equal(typeof error.message, 'string');
      assert.ok(
        error.message.length < MAX_WIRE_MESSAGE_CHARS + 100,
        `${odd}: ${error.message.length} characters`,
      );
      if (odd === 'function-details') {
        assert.equal(error.code, 'STOWAGE_ERROR');
        assert.deepEqual(error.details, { kept: 'yes' });
      } else {
        assert.equal(error.code, 'STOWAGE_INTERNAL', odd);
      }
      // Before, every put of the batch failed with the text conversion's error, stored ones too.
      for (const result of stored)
        assert.equal(
          result.status,
          'fulfilled',
          `${odd}: ${String((result as PromiseRejectedResult).reason)}`,
        );
      for (const name of others)
        assert.ok(await provider.getObject(instance, CONFIG_MAP, `ns/${name}`), name);
    }
    // Nor was the worker taken for crashed: a reply it could not clone had killed it.
    assert.deepEqual(observer.restarts, []);
    assert.equal(provider.instanceStatus(instance).status, true);
  } finally {
    await provider.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('initialize reports a backend that threw a value that cannot be read as InitializeFailedError, not as what that value throws', async () => {
  class ProxyThrowingBackend extends MemoryBackend {
    override async open(): Promise<void> {
      throw new Proxy(
        {},
        {
          getPrototypeOf() {
            throw new Error('getPrototypeOf trap');
          },
        },
      );
    }
  }
  const provider = new LocalProvider([{ name: 'odd', backend: new ProxyThrowingBackend() }]);
  await assert.rejects(provider.initialize(MachineId.generate()), (error: unknown) => {
    assert.ok(error instanceof InitializeFailedError, String(error));
    assert.equal(error.details.codes, 'STOWAGE_INTERNAL');
    return true;
  });
});
