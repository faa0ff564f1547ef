import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { copyCommand } from '../../src/cli/commands/copy.js';
import { UsageError } from '../../src/cli/output.js';
import { localTarget } from '../../src/cli/target.js';
import {
  type GroupVersionKind,
  LocalProvider,
  MachineId,
  MemoryBackend,
  type ObjectKey,
  StowageError,
  UnknownInstanceError,
} from '../../src/index.js';

/** A memory backend that refuses every put but those whose key ends in 0, as a full disk would. */
class MostlyFullBackend extends MemoryBackend {
  override async put(gvk: GroupVersionKind, key: ObjectKey, bytes: Uint8Array): Promise<void> {
    if (!key.endsWith('0')) throw new StowageError(`no space left for ${key}`);
    return super.put(gvk, key, bytes);
  }
}

/** `copy --from <from> --to <to>` on the provider, its stderr written to `stderr`. */
function copy(
  provider: LocalProvider,
  from: string,
  to: string,
  stderr = new PassThrough(),
): Promise<number> {
  return copyCommand({
    target: localTarget(provider, undefined, async () => undefined),
    positionals: [],
    flags: { from, to },
    out: { stdout: new PassThrough(), stderr: stderr as unknown as NodeJS.WriteStream },
    input: undefined,
  });
}

/** A LocalProvider over `backends` by name, initialized for `body` and closed after it. */
async function withProvider(
  backends: Record<string, MemoryBackend>,
  body: (provider: LocalProvider) => Promise<void>,
): Promise<void> {
  const provider = new LocalProvider(Object.entries(backends).map(([name, backend]) => ({ name, backend })));
  await provider.initialize(MachineId.generate());
  try {
    await body(provider);
  } finally {
    await provider.close();
  }
}

const configMap = (name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'd' },
});

test('copy exits 1 and names what it could not copy when puts to the target fail', async () => {
  await withProvider({ from: new MemoryBackend(), to: new MostlyFullBackend() }, async (provider) => {
    for (let i = 0; i < 40; i++) await provider.putObject('from', configMap(`o${i}`));
    const stderr = new PassThrough();
    let errors = '';
    stderr.on('data', (chunk) => {
      errors += chunk;
    });
    assert.equal(await copy(provider, 'from', 'to', stderr), 1);
    assert.match(errors, /4 objects copied/);
    assert.match(errors, /36 objects could not be copied/);
    // In the CLI's `<message> (<code>)` form, which these lines lacked.
    assert.match(
      errors,
      /not copied: core\/v1\/ConfigMap d\/o1: no space left for d\/o1 \(STOWAGE_[A-Z_]+\)\n/,
    );
  });
});

test('copy onto the same instance, by its name or as default, is refused instead of reporting every object copied', async () => {
  await withProvider({ from: new MemoryBackend(), other: new MemoryBackend() }, async (provider) => {
    await provider.putObject('from', configMap('a'));
    for (const [from, to] of [
      ['from', 'from'],
      ['default', 'from'],
    ]) {
      await assert.rejects(copy(provider, from!, to!), (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.match(error.message, /--from and --to are one instance, from/);
        return true;
      });
    }
  });
});

test('copy to an instance that does not exist fails before reading anything, even from an empty source', async () => {
  await withProvider({ from: new MemoryBackend(), empty: new MemoryBackend() }, async (provider) => {
    await provider.putObject('from', configMap('a'));
    for (const from of ['from', 'empty']) {
      // Before, from the empty source: "0 objects copied", exit 0; from the other, a failed put each.
      await assert.rejects(copy(provider, from, 'no-such-instance'), UnknownInstanceError, from);
    }
  });
});
