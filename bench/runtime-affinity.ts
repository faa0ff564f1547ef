import { Piscina } from 'piscina';
import { makeSizedObject } from '../test/helpers/objects.js';
import { median } from './median.js';
import { drive } from './runtime-driver.js';

/**
 * How to pin each actor to its own thread (docs/architecture.md, "Pool"): one single-thread
 * piscina pool per actor, or one pool of N threads with a custom loadBalancer that sends an
 * actor's tasks to its worker. Two actors, each with 64 echo tasks of 2 KiB in flight.
 * `npx tsx bench/main.ts runtime-affinity`; prints medians of 5 rounds, both alternating.
 */
const ACTORS = 2;
const INFLIGHT = 64;
const TASKS = 20_000;
const ROUNDS = 5;
const filename = new URL('./runtime-echo-worker.ts', import.meta.url).href;
const payload = makeSizedObject('affinity');
const common = {
  filename,
  idleTimeout: Number.POSITIVE_INFINITY,
  atomics: 'async',
  concurrentTasksPerWorker: INFLIGHT,
} as const;

async function measure(
  pools: (actor: number) => { pool: Piscina; task: (id: number) => object },
): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ACTORS }, (_, actor) => {
      const { pool, task } = pools(actor);
      return drive(TASKS, INFLIGHT, (i) => pool.run(task(i)));
    }),
  );
  return (ACTORS * TASKS) / ((performance.now() - started) / 1000);
}

async function perActorPools(): Promise<number> {
  const pools = Array.from(
    { length: ACTORS },
    () => new Piscina({ ...common, minThreads: 1, maxThreads: 1 }),
  );
  await Promise.all(pools.map((pool) => pool.run({ id: -1 })));
  const rate = await measure((actor) => ({ pool: pools[actor]!, task: (id) => ({ id, payload }) }));
  await Promise.all(pools.map((pool) => pool.destroy()));
  return rate;
}

async function balancedPool(): Promise<number> {
  const pool = new Piscina({
    ...common,
    minThreads: ACTORS,
    maxThreads: ACTORS,
    // The actor id rides in the queue-options symbol (not cloned to the worker); workers by id.
    loadBalancer: (task, workers) => {
      const options = (task as unknown as Record<symbol, { actor?: number } | null>)[
        Piscina.queueOptionsSymbol
      ];
      const actor = options?.actor ?? 0;
      const ordered = [...workers].sort((a, b) => a.id - b.id);
      const worker = ordered[actor % ordered.length];
      return worker && worker.currentUsage < INFLIGHT ? worker : null;
    },
  });
  await Promise.all(
    Array.from({ length: ACTORS }, (_, actor) =>
      pool.run({ id: -1, [Piscina.queueOptionsSymbol]: { actor } }),
    ),
  );
  const rate = await measure((actor) => ({
    pool,
    task: (id) => ({ id, payload, [Piscina.queueOptionsSymbol]: { actor } }),
  }));
  await pool.destroy();
  return rate;
}

export async function run(): Promise<void> {
  const perActor: number[] = [];
  const balanced: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    perActor.push(await perActorPools());
    balanced.push(await balancedPool());
  }
  const a = median(perActor);
  const b = median(balanced);
  console.log(
    `one 1-thread pool per actor: ${Math.round(a)} tasks/s (rounds: ${perActor.map(Math.round).join(', ')})`,
  );
  console.log(
    `one pool + custom balancer:  ${Math.round(b)} tasks/s (rounds: ${balanced.map(Math.round).join(', ')})`,
  );
  console.log(`balancer / per-actor: ${(b / a).toFixed(2)}`);
}
