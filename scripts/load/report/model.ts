import type { Machine, Versions } from '../../../bench/machine.js';
import type { Percentiles, Recorder, TimelinePoint } from '../recorder.js';
import { percentilesMs, round } from '../recorder.js';
import type { BurstResult, RampResult, StartupResult } from '../runners.js';
import type { BackendKind, OpKind, Scenario } from '../scenarios.js';

/**
 * The load-test report: the JSON written to disk, and the model the terminal table and the chart
 * are drawn from. `schema` names its version; a change that breaks readers bumps it.
 */
export const REPORT_SCHEMA = 'stowage-loadtest/1';

export type RunVersions = Omit<Versions, 'etcd' | 'radosgw'> & { readonly radosgw?: string };

/** The versions that bear on a run against `backend`: a memory or file run touches no radosgw. */
export function runVersions(all: Versions, backend: BackendKind): RunVersions {
  const { etcd: _etcd, radosgw, ...used } = all;
  return backend === 's3' ? { ...used, radosgw } : used;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface LoadReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly scenario: string;
  readonly description: string;
  readonly startedAt: string;
  /** Seconds of measured load: preloading excluded; for startup, the write phase alone. */
  readonly durationSeconds: number;
  readonly config: {
    readonly backend: Scenario['backend'];
    readonly target: string;
    readonly instance: string;
    readonly objects: Scenario['objects'];
    readonly keys: number;
    readonly mailboxCapacity: number;
    readonly load: Scenario['load'];
    readonly preloaded: number;
  };
  /** Versions of what the run used: radosgw only for an s3 target, etcd never (see runVersions). */
  readonly environment: { readonly machine: Machine; readonly versions: RunVersions };
  readonly metricsUrl: string;
  /**
   * `intended-start` in fixed-rate runs and bursts: latency counts from each operation's due time,
   * corrected for coordinated omission (in a burst every operation is due at the burst's start).
   * `call-start` otherwise: the time from the call to its completion.
   */
  readonly latencyBasis: 'intended-start' | 'call-start';
  readonly totals: {
    readonly attempted: number;
    readonly ok: number;
    readonly errors: number;
    readonly rejections: number;
    readonly opsPerSecond: number;
    readonly codes: Readonly<Record<string, number>>;
    /** The first message of each code, to say why without a rerun. */
    readonly samples: Readonly<Record<string, string>>;
  };
  readonly latencyMs: {
    readonly all: Percentiles;
    readonly byOperation: Partial<Record<OpKind, Percentiles>>;
  };
  /** From the actual call; equal to latencyMs unless a fixed-rate generator fell behind. */
  readonly serviceTimeMs: {
    readonly all: Percentiles;
    readonly byOperation: Partial<Record<OpKind, Percentiles>>;
  };
  /**
   * How late operations were issued after their due time. With a fixed rate it includes the
   * generator's timer granularity (about 1 ms) as well as every stall of the process.
   */
  readonly scheduleLagMs: Percentiles;
  readonly timeline: readonly TimelinePoint[];
  readonly ramp?: RampResult;
  readonly bursts?: readonly BurstResult[];
  readonly startup?: StartupResult;
  readonly checks: readonly Check[];
}

export interface ReportInput {
  readonly scenario: Scenario;
  readonly target: string;
  readonly instance: string;
  readonly startedAt: Date;
  readonly loadSeconds: number;
  readonly preloaded: number;
  readonly recorder: Recorder;
  readonly environment: LoadReport['environment'];
  readonly metricsUrl: string;
  readonly ramp?: RampResult;
  readonly bursts?: BurstResult[];
  readonly startup?: StartupResult;
}

/** Shapes whose drivers time each operation from its due time (drivers.ts: openLoop, burst). */
const INTENDED_START_SHAPES: ReadonlySet<string> = new Set(['open', 'burst']);

const OP_ORDER: readonly OpKind[] = ['put', 'get', 'list', 'delete'];

function byOperation(map: Recorder['latency']): Partial<Record<OpKind, Percentiles>> {
  return Object.fromEntries(
    OP_ORDER.filter((op) => map.has(op)).map((op) => [op, percentilesMs(map.get(op)!)]),
  );
}

export function buildReport(input: ReportInput): LoadReport {
  const { recorder: r, scenario } = input;
  const attempted = r.ok + r.errors + r.rejections;
  const report: Omit<LoadReport, 'checks'> = {
    schema: REPORT_SCHEMA,
    scenario: scenario.name,
    description: scenario.description,
    startedAt: input.startedAt.toISOString(),
    durationSeconds: round(input.loadSeconds, 3),
    config: {
      backend: scenario.backend,
      target: input.target,
      instance: input.instance,
      objects: scenario.objects,
      keys: scenario.keys,
      mailboxCapacity: scenario.mailboxCapacity,
      load: scenario.load,
      preloaded: input.preloaded,
    },
    environment: input.environment,
    metricsUrl: input.metricsUrl,
    latencyBasis: INTENDED_START_SHAPES.has(scenario.load.shape) ? 'intended-start' : 'call-start',
    totals: {
      attempted,
      ok: r.ok,
      errors: r.errors,
      rejections: r.rejections,
      opsPerSecond: round(r.ok / Math.max(input.loadSeconds, 1e-3), 1),
      codes: Object.fromEntries(r.errorCodes),
      samples: Object.fromEntries(r.errorSamples),
    },
    latencyMs: { all: percentilesMs(r.overall('latency')), byOperation: byOperation(r.latency) },
    serviceTimeMs: { all: percentilesMs(r.overall('service')), byOperation: byOperation(r.service) },
    scheduleLagMs: percentilesMs(r.lag),
    timeline: r.timeline,
    ...(input.ramp && { ramp: input.ramp }),
    ...(input.bursts && { bursts: input.bursts }),
    ...(input.startup && { startup: input.startup }),
  };
  return { ...report, checks: checks(report) };
}

/** What a run must show to count as healthy; main.ts exits 1 when one fails. */
function checks(report: Omit<LoadReport, 'checks'>): Check[] {
  const list: Check[] = [
    { name: 'no errors', ok: report.totals.errors === 0, detail: `${report.totals.errors} errors` },
    { name: 'operations completed', ok: report.totals.ok > 0, detail: `${report.totals.ok} ok` },
  ];
  if (report.bursts) {
    const rejected = report.bursts.reduce((sum, b) => sum + b.rejections, 0);
    list.push({
      name: 'bursts beyond capacity are rejected with QueueFullError',
      ok: rejected > 0,
      detail: `${rejected} rejections over ${report.bursts.length} bursts`,
    });
  } else if (report.config.load.shape !== 'ramp') {
    // Outside bursts (and the ramp, which stops on them), a rejection means the mailbox overflowed.
    list.push({
      name: 'no rejections',
      ok: report.totals.rejections === 0,
      detail: `${report.totals.rejections}`,
    });
  }
  if (report.startup) {
    const { initializeSeconds, failures } = report.startup;
    list.push({
      name: 'every cold start loaded every object',
      ok: initializeSeconds.length > 0 && failures.length === 0,
      detail: [`${initializeSeconds.length} cold starts`, ...failures].join('; '),
    });
  }
  return list;
}
