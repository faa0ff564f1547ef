import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MachineId, QueueFullError } from '../../src/index.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { makeSizedObject } from '../helpers/objects.js';

const CONFIG_MAP = { group: '', version: 'v1', kind: 'ConfigMap' };
const CAPACITY = 100;
const CONCURRENCY = 10;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Burst {
  accepted: Promise<string>[];
  rejectedAtOnce: number;
}

/**
 * Submits 10× capacity in one synchronous loop and counts the refusals by the next event-loop turn.
 * No reply can be handled inside the loop, so no room frees while it runs and the count is exact.
 * (Accepted operations may already have completed by then: a full batch leaves mid-turn.)
 */
async function burst(provider: RuntimeProvider, instance: string, round: number): Promise<Burst> {
  const settled = { rejected: 0 };
  const accepted: Promise<string>[] = [];
  for (let i = 0; i < CAPACITY * 10; i++) {
    const put = provider.putObject(instance, makeSizedObject(`r${round}-o${i}`, 2048, 'burst'));
    accepted.push(
      put.then(
        (key) => key,
        (error: unknown) => {
          assert.ok(error instanceof QueueFullError, String(error));
          settled.rejected++;
          return '';
        },
      ),
    );
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  return { accepted, rejectedAtOnce: settled.rejected };
}

test('a burst of 10× capacity: the excess is refused at once, accepted ops all complete, heap stays bounded', async () => {
  const provider = new RuntimeProvider([{ kind: 'memory', name: 'overload' }], {
    mailbox: { capacity: CAPACITY, concurrency: CONCURRENCY, policy: 'reject' },
  });
  try {
    await provider.initialize(MachineId.generate());
    const [instance] = provider.instances() as [string];
    const heap: number[] = [];
    for (let round = 0; round < 20; round++) {
      const b = await burst(provider, instance, round);
      // CONCURRENCY ops start at once; CAPACITY more may wait; everything else is refused.
      assert.equal(b.rejectedAtOnce, CAPACITY * 10 - CAPACITY - CONCURRENCY, `round ${round}`);
      const keys = (await Promise.all(b.accepted)).filter((key) => key !== '');
      assert.equal(keys.length, CAPACITY + CONCURRENCY);
      assert.equal(provider.snapshot().instances[0]?.queueDepth, 0);
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    const stored = await provider.getAllObjects(instance, CONFIG_MAP);
    assert.equal(stored.length, 20 * (CAPACITY + CONCURRENCY), 'every accepted op was stored');
    // Refused objects must not be retained: 890 × 2 KiB per round would add ~27 MB over 15 rounds.
    const growth = (heap[19] as number) - (heap[4] as number);
    assert.ok(growth < 8 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MiB over 15 bursts`);
  } finally {
    await provider.close();
  }
});
