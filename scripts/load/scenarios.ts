/**
 * The named load scenarios as typed presets (after temporalio's `all-scenarios.ts`). A preset fixes
 * the shape of the load; command-line options (args.ts) override its numbers. Every shape is
 * bounded: it stops by itself after its duration, its steps, its bursts or its runs.
 */

export type BackendKind = 'memory' | 'file' | 's3';
export type OpKind = 'put' | 'get' | 'list' | 'delete';
/** Relative weights of each operation; they need not sum to 1. */
export type Mix = Readonly<Record<OpKind, number>>;
/** What is written: ConfigMaps of about `bytes` serialized bytes, or the kube-prometheus manifests. */
export type ObjectSource = { readonly kind: 'sized'; readonly bytes: number } | { readonly kind: 'fixtures' };

/** Callers in a closed loop: each issues its next operation when the previous one completes. */
export interface ClosedShape {
  readonly shape: 'closed';
  readonly concurrency: number;
  readonly durationS: number;
  readonly mix: Mix;
}

/**
 * A fixed arrival rate (open loop): operation i is due at start + i/rate whether or not earlier ones
 * finished, and its latency is measured from that due time (coordinated-omission correction).
 */
export interface OpenShape {
  readonly shape: 'open';
  readonly rate: number;
  readonly durationS: number;
  readonly mix: Mix;
  /** Outstanding operations the generator allows before it waits; late ones still count from their due time. */
  readonly maxOutstanding: number;
}

/** Closed-loop steps of rising concurrency until p99 or the error rate passes its bound: the knee. */
export interface RampShape {
  readonly shape: 'ramp';
  readonly steps: readonly number[];
  readonly stepS: number;
  readonly p99BoundMs: number;
  /** (errors + rejections) / attempts above which a step is over the bound. */
  readonly errorRateBound: number;
  readonly mix: Mix;
}

/** `multiple` × the mailbox capacity submitted in one tick, `bursts` times, one second apart. */
export interface BurstShape {
  readonly shape: 'burst';
  readonly multiple: number;
  readonly bursts: number;
}

/** Writes `count` objects, closes, then times a cold initialize of a fresh provider `runs` times. */
export interface StartupShape {
  readonly shape: 'startup';
  readonly count: number;
  readonly runs: number;
}

export type Shape = ClosedShape | OpenShape | RampShape | BurstShape | StartupShape;

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly backend: BackendKind;
  readonly objects: ObjectSource;
  /** Distinct keys the operations address (preloaded when the mix reads, lists or deletes). */
  readonly keys: number;
  readonly mailboxCapacity: number;
  readonly load: Shape;
}

const PUTS_ONLY: Mix = { put: 1, get: 0, list: 0, delete: 0 };
const TWO_KIB: ObjectSource = { kind: 'sized', bytes: 2048 };

export const SCENARIOS = {
  smoke: {
    name: 'smoke',
    description: 'CI-sized: every operation type, a few seconds',
    backend: 'memory',
    objects: TWO_KIB,
    keys: 500,
    mailboxCapacity: 1024,
    load: { shape: 'closed', concurrency: 8, durationS: 3, mix: { put: 60, get: 30, list: 2, delete: 8 } },
  },
  steady: {
    name: 'steady',
    description: 'a fixed arrival rate, latency-focused, corrected for coordinated omission',
    backend: 'file',
    objects: TWO_KIB,
    keys: 10_000,
    mailboxCapacity: 1024,
    load: {
      shape: 'open',
      rate: 2000,
      durationS: 30,
      mix: { put: 70, get: 30, list: 0, delete: 0 },
      maxOutstanding: 10_000,
    },
  },
  ramp: {
    name: 'ramp',
    description: 'concurrency doubles each step until p99 or errors pass the bound: the knee',
    backend: 'file',
    objects: TWO_KIB,
    keys: 10_000,
    mailboxCapacity: 1024,
    load: {
      shape: 'ramp',
      steps: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      stepS: 5,
      p99BoundMs: 50,
      errorRateBound: 0.01,
      mix: PUTS_ONLY,
    },
  },
  burst: {
    name: 'burst',
    description: '10× the mailbox capacity in one tick: the excess is rejected with QueueFullError',
    backend: 'memory',
    objects: TWO_KIB,
    keys: 10_240,
    mailboxCapacity: 1024,
    load: { shape: 'burst', multiple: 10, bursts: 5 },
  },
  mixed: {
    name: 'mixed',
    description:
      'puts, gets, lists and deletes in given ratios (--mix; put=50,get=40,list=1,delete=9 by default)',
    backend: 'file',
    objects: TWO_KIB,
    keys: 2000,
    mailboxCapacity: 1024,
    load: { shape: 'closed', concurrency: 64, durationS: 20, mix: { put: 50, get: 40, list: 1, delete: 9 } },
  },
  startup: {
    name: 'startup',
    description: 'cold initialize of N stored objects, timed over several runs',
    backend: 'file',
    objects: TWO_KIB,
    keys: 100_000,
    mailboxCapacity: 1024,
    load: { shape: 'startup', count: 100_000, runs: 3 },
  },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;

export function isScenarioName(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIOS, name);
}
