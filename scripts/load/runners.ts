import { setTimeout as sleep } from 'node:timers/promises';
import type { BackendConfig } from '../../src/backends/factory.js';
import { MachineId } from '../../src/contract/machine-id.js';
import type { RuntimeObserver } from '../../src/runtime/observer.js';
import { RuntimeProvider } from '../../src/runtime/runtime-provider.js';
import { burst, closedLoop, type Issue, openLoop } from './drivers.js';
import type { Progress } from './progress.js';
import { type Recorder, round, timed, type WindowStats } from './recorder.js';
import type { BurstShape, Mix, RampShape, Shape, StartupShape } from './scenarios.js';
import type { Target } from './target.js';
import { execute, type Keyspace, OperationPicker } from './workload.js';

/** What a run needs: the provider under load (already initialized) and where to record. */
export interface RunContext {
  readonly provider: RuntimeProvider;
  readonly instance: string;
  readonly keyspace: Keyspace;
  readonly recorder: Recorder;
  readonly progress: Progress;
  readonly target: Target;
  readonly mailboxCapacity: number;
  readonly observer: RuntimeObserver | undefined;
}

export interface RampStep extends WindowStats {
  readonly concurrency: number;
  readonly withinBounds: boolean;
}

export interface RampResult {
  readonly steps: RampStep[];
  /** The highest concurrency still within bounds, with its throughput; null if the first step failed. */
  readonly knee: RampStep | null;
  /** The bound that stopped the ramp, or null when every step stayed within bounds. */
  readonly stoppedBy: string | null;
}

export interface BurstResult extends WindowStats {
  readonly submitted: number;
}

export interface StartupResult {
  readonly objects: number;
  /** The write phase alone (the run's totals also span the cold starts). */
  readonly write: WindowStats;
  /** Seconds of each cold initialize, in run order. */
  readonly initializeSeconds: number[];
  readonly medianInitializeSeconds: number;
  /** Seconds of the first full listing after each cold start, proving the objects are all there. */
  readonly firstListSeconds: number[];
  readonly rssGrowthMiB: number[];
  /** Cold starts that failed or found the wrong number of objects, each as a message. */
  readonly failures: string[];
}

/** What a shape adds to the report beyond the totals, percentiles and timeline. */
export interface ShapeResult {
  readonly ramp?: RampResult;
  readonly bursts?: BurstResult[];
  readonly startup?: StartupResult;
}

/** Offers the load of one shape; bounded by its duration, steps, bursts or runs. */
export async function runShape(ctx: RunContext, load: Shape): Promise<ShapeResult> {
  switch (load.shape) {
    case 'closed':
      await closedLoop(load.concurrency, load.durationS, issuer(ctx, load.mix));
      return {};
    case 'open':
      await openLoop(load.rate, load.durationS, load.maxOutstanding, issuer(ctx, load.mix));
      return {};
    case 'ramp':
      return { ramp: await runRamp(ctx, load) };
    case 'burst':
      return { bursts: await runBursts(ctx, load) };
    case 'startup':
      return { startup: await runStartup(ctx, load) };
  }
}

export function issuer(ctx: RunContext, mix: Mix, seed?: number): Issue {
  const picker = new OperationPicker(mix, ctx.keyspace.size, seed);
  return (intended) => {
    const { op, k } = picker.next();
    return timed(ctx.recorder, op, intended, () => execute(ctx.provider, ctx.instance, ctx.keyspace, op, k));
  };
}

/** Puts keys [0, count) with `concurrency` in flight; stops at the first failure. */
export async function writeKeys(
  provider: RuntimeProvider,
  instance: string,
  keyspace: Keyspace,
  count: number,
  concurrency: number,
  recorder?: Recorder,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const k = next++;
        const put = () => provider.putObject(instance, keyspace.object(k));
        if (!recorder) await put();
        else await timed(recorder, 'put', performance.now(), put);
      }
    }),
  );
}

export async function runRamp(ctx: RunContext, shape: RampShape): Promise<RampResult> {
  const steps: RampStep[] = [];
  let stoppedBy: string | null = null;
  const issue = issuer(ctx, shape.mix);
  for (const concurrency of shape.steps) {
    ctx.progress.setPhase(`c=${concurrency}`);
    ctx.recorder.beginWindow();
    await closedLoop(concurrency, shape.stepS, issue);
    const stats = ctx.recorder.endWindow();
    const attempts = stats.ok + stats.errors + stats.rejections;
    const errorRate = attempts === 0 ? 0 : (stats.errors + stats.rejections) / attempts;
    if (stats.latencyMs.p99 > shape.p99BoundMs)
      stoppedBy = `p99 ${stats.latencyMs.p99} ms > ${shape.p99BoundMs} ms`;
    else if (errorRate > shape.errorRateBound) {
      stoppedBy = `error rate ${round(errorRate, 4)} > ${shape.errorRateBound}`;
    }
    steps.push({ ...stats, concurrency, withinBounds: stoppedBy === null });
    if (stoppedBy) break;
  }
  const within = steps.filter((s) => s.withinBounds);
  return { steps, knee: within.at(-1) ?? null, stoppedBy };
}

export async function runBursts(ctx: RunContext, shape: BurstShape): Promise<BurstResult[]> {
  const results: BurstResult[] = [];
  const submitted = shape.multiple * ctx.mailboxCapacity;
  for (let b = 0; b < shape.bursts; b++) {
    ctx.progress.setPhase(`burst ${b + 1}`);
    const started = performance.now();
    ctx.recorder.beginWindow();
    let k = 0;
    await burst(
      submitted,
      (intended) => {
        const key = k++ % ctx.keyspace.size;
        return timed(ctx.recorder, 'put', intended, () =>
          ctx.provider.putObject(ctx.instance, ctx.keyspace.object(key)),
        );
      },
      () => ctx.progress.sampleDepth(),
    );
    results.push({ ...ctx.recorder.endWindow(), submitted });
    // One burst a second; a burst that took longer is followed at once.
    if (b < shape.bursts - 1) await sleep(Math.max(0, 1000 - (performance.now() - started)));
  }
  return results;
}

/**
 * Writes the objects through the provider under load, closes it, then starts a fresh provider on
 * the same storage `runs` times and times each cold initialize (and the first full listing).
 */
export async function runStartup(ctx: RunContext, shape: StartupShape): Promise<StartupResult> {
  ctx.progress.setPhase('write');
  ctx.recorder.beginWindow();
  await writeKeys(ctx.provider, ctx.instance, ctx.keyspace, shape.count, 256, ctx.recorder);
  const write = ctx.recorder.endWindow();
  if (write.errors + write.rejections > 0) return emptyStartup(shape.count, write);
  await ctx.provider.close();
  const initializeSeconds: number[] = [];
  const firstListSeconds: number[] = [];
  const rssGrowthMiB: number[] = [];
  const failures: string[] = [];
  for (let run = 0; run < shape.runs; run++) {
    ctx.progress.setPhase(`cold ${run + 1}`);
    const config: BackendConfig = ctx.target.config;
    const cold = new RuntimeProvider([config], { observer: ctx.observer });
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    try {
      await cold.initialize(MachineId.generate());
      const initialized = round((performance.now() - started) / 1000, 4);
      const grown = round((process.memoryUsage().rss - rss) / 2 ** 20, 1);
      const listed = performance.now();
      let count = 0;
      for (const kind of kindsOf(ctx.keyspace, shape.count)) {
        count += (await cold.getAllObjects(cold.instances()[0]!, kind)).length;
      }
      if (count !== shape.count) {
        failures.push(`cold start ${run + 1} found ${count} objects, expected ${shape.count}`);
      } else {
        // Only a cold start that found every object is timed: a short one is not a fast one.
        initializeSeconds.push(initialized);
        rssGrowthMiB.push(grown);
        firstListSeconds.push(round((performance.now() - listed) / 1000, 4));
      }
    } catch (error) {
      // Reported as a failed check with the others, not thrown past the report.
      failures.push(`cold start ${run + 1}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await cold.close();
    }
  }
  return {
    objects: shape.count,
    write,
    initializeSeconds,
    medianInitializeSeconds: initializeSeconds.length > 0 ? median(initializeSeconds) : 0,
    firstListSeconds,
    rssGrowthMiB,
    failures,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return round(sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, 4);
}

function emptyStartup(objects: number, write: WindowStats): StartupResult {
  return {
    objects,
    write,
    initializeSeconds: [],
    medianInitializeSeconds: 0,
    firstListSeconds: [],
    rssGrowthMiB: [],
    failures: ['the write phase had errors or rejections, so no cold start was run'],
  };
}

/** The distinct GVKs among keys [0, count). */
function kindsOf(keyspace: Keyspace, count: number) {
  const seen = new Map<string, ReturnType<Keyspace['slot']>['gvk']>();
  for (let k = 0; k < Math.min(count, keyspace.period); k++) {
    const { gvk } = keyspace.slot(k);
    seen.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, gvk);
  }
  return [...seen.values()];
}
