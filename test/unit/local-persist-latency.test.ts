import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceName, LocalProvider, MachineId, MemoryBackend } from '../../src/index.js';

test('LocalProvider: meanPersistLatency counts from the call, validation and encoding included, as the runtime does', async () => {
  const instance = instanceName('memory', 'latency');
  const provider = new LocalProvider([{ name: instance, backend: new MemoryBackend() }]);
  await provider.initialize(MachineId.generate());
  try {
    // About 1 MiB in many small fields: encoding it takes far longer than the memory backend's put.
    const data = Object.fromEntries(
      Array.from({ length: 20_000 }, (_, i) => [`key-${i}`, `value ${i} `.repeat(4)]),
    );
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'ns' }, data };
    const rounds = 5;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await provider.putObject(instance, object);
    const perPut = (performance.now() - started) / 1000 / rounds;
    const mean = provider.instanceStatus(instance).meanPersistLatency;
    // The two time the same interval but for a few microtasks. It counted from the write's turn
    // before, after the encoding: 0.4% of what the caller saw.
    assert.ok(mean >= 0.5 * perPut && mean <= perPut, `mean ${mean} s, the caller's ${perPut} s per put`);
  } finally {
    await provider.close();
  }
});
