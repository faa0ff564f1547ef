import { parseArgs } from 'node:util';
import { httpUrlProblem } from '../../src/cli/http-url.js';
import { DEFAULT_MAX_OBJECT_BYTES } from '../../src/objects/codec.js';
import {
  type BackendKind,
  isScenarioName,
  type Mix,
  type ObjectSource,
  type OpKind,
  SCENARIOS,
  type Scenario,
  type Shape,
} from './scenarios.js';

/** Bad command-line input: main.ts prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** The environment cannot host the run (no radosgw, a busy monitor port): main.ts prints it and exits 2. */
export class SetupError extends Error {}

export interface S3Target {
  readonly endpoint: string | undefined;
  readonly bucket: string;
  readonly region: string;
  readonly allowRemote: boolean;
}

export interface LoadOptions {
  readonly scenario: Scenario;
  /** Where the JSON report goes; the HTML chart is written beside it. */
  readonly out: string | undefined;
  readonly metricsPort: number | undefined;
  /** The file backend's directory; a fresh temporary one (removed afterwards) when unset. */
  readonly dir: string | undefined;
  readonly s3: S3Target;
  readonly progress: boolean;
  /**
   * Options given that the scenario's shape or the backend does not use, each with what it does
   * not apply to (`--rate does not apply to burst`), reported rather than silently dropped.
   */
  readonly ignored: readonly string[];
}

export const USAGE = `usage: npm run loadtest -- --scenario <${Object.keys(SCENARIOS).join('|')}> [options]
  --backend memory|file|s3   where the objects go (default: the scenario's)
  --concurrency N            callers in flight (closed loop); cap of the ramp; outstanding cap at a fixed rate
  --duration S               seconds of load; seconds per step (ramp); number of bursts (burst)
  --rate R                   fixed arrival rate in ops/s (turns a closed-loop scenario into an open one)
  --objects SIZE|fixtures    object size (2048, 2KiB, 1MiB) or the kube-prometheus manifests
  --mix put=60,get=30,list=1,delete=9   operation weights
  --keys N                   distinct keys addressed          --count N   objects for startup
  --runs N                   cold starts timed (startup)       --mailbox N  mailbox capacity
  --p99-bound MS             the ramp's latency bound
  --out FILE.json            report path (default ./loadtest-results/<scenario>-<backend>-<time>.json)
  --metrics-port P           /metrics on 127.0.0.1:P (default 9465, a free port if taken; 0 = any)
  --dir PATH                 file backend directory (default: a temporary one, removed afterwards)
  --endpoint URL --bucket B --region R   S3 target; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
                             Without --endpoint, a local radosgw is started (scripts/radosgw) and stopped.
  --allow-remote             permit a non-loopback S3 endpoint
  --no-progress              no live progress line`;

const OPS: readonly OpKind[] = ['put', 'get', 'list', 'delete'];
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
};

export function parseObjects(text: string): ObjectSource {
  if (text === 'fixtures') return { kind: 'fixtures' };
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined)
    throw new UsageError(`--objects: expected a size (2048, 2KiB) or fixtures`);
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < 128) throw new UsageError('--objects: at least 128 bytes');
  // The run's provider keeps the default size limit: a larger object would fail every put.
  if (bytes > DEFAULT_MAX_OBJECT_BYTES) {
    throw new UsageError(`--objects: at most ${DEFAULT_MAX_OBJECT_BYTES} bytes, stowage's object size limit`);
  }
  return { kind: 'sized', bytes };
}

export function parseMix(text: string): Mix {
  const mix: Record<OpKind, number> = { put: 0, get: 0, list: 0, delete: 0 };
  for (const part of text.split(',')) {
    const [op, weight] = part.split('=');
    // Number('') is 0 and Infinity outweighs everything: neither is a weight anyone meant.
    if (
      !OPS.includes(op as OpKind) ||
      !weight?.trim() ||
      !(Number(weight) >= 0 && Number.isFinite(Number(weight)))
    ) {
      throw new UsageError(
        `--mix: expected op=weight pairs over ${OPS.join(', ')}, got ${JSON.stringify(part)}`,
      );
    }
    mix[op as OpKind] = Number(weight);
  }
  if (OPS.every((op) => mix[op] === 0)) throw new UsageError('--mix: every weight is 0');
  return mix;
}

function positive(name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new UsageError(`--${name}: expected a number in (0, ${max}], got ${JSON.stringify(text)}`);
  }
  return value;
}

const int = (name: string, text: string | undefined, max: number) => {
  const value = positive(name, text, max);
  if (value !== undefined && !Number.isInteger(value)) throw new UsageError(`--${name}: expected an integer`);
  return value;
};

const STRING_OPTIONS = [
  ...['scenario', 'backend', 'concurrency', 'duration', 'rate', 'objects', 'mix', 'keys', 'count'],
  ...['runs', 'mailbox', 'p99-bound', 'out', 'metrics-port', 'dir', 'endpoint', 'bucket', 'region'],
];

/** node:util's parseArgs, with its unknown-option and stray-argument errors turned into UsageError. */
function parseStrict(argv: readonly string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      options: {
        ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: 'string' } as const])),
        'allow-remote': { type: 'boolean' },
        'no-progress': { type: 'boolean' },
      },
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseLoadArgs(argv: readonly string[]): LoadOptions {
  const v = parseStrict(argv);
  const s = (name: string) => v[name] as string | undefined;
  const name = s('scenario');
  if (name === undefined || !isScenarioName(name))
    throw new UsageError(`--scenario: one of ${Object.keys(SCENARIOS).join(', ')}`);
  const preset: Scenario = SCENARIOS[name];
  const backend = s('backend') ?? preset.backend;
  if (!['memory', 'file', 's3'].includes(backend)) throw new UsageError('--backend: memory, file or s3');
  if (preset.load.shape === 'startup' && backend === 'memory') {
    throw new UsageError('--scenario startup needs stored data to load: use --backend file or s3');
  }
  const ignored: string[] = [];
  const load = applyOverrides(preset.load, v, ignored, name);
  const backendOptions = { dir: 'file', endpoint: 's3', bucket: 's3', region: 's3', 'allow-remote': 's3' };
  for (const [option, owner] of Object.entries(backendOptions)) {
    if (v[option] !== undefined && owner !== backend) {
      ignored.push(`--${option} does not apply to --backend ${backend}`);
    }
  }
  const portText = s('metrics-port');
  const metricsPort = portText === undefined ? undefined : Number(portText);
  if (
    metricsPort !== undefined &&
    !(/^\d+$/.test(portText ?? '') && metricsPort >= 0 && metricsPort < 65536)
  ) {
    throw new UsageError('--metrics-port: an integer in [0, 65535]');
  }
  const count = load.shape === 'startup' ? load.count : undefined;
  return {
    scenario: {
      ...preset,
      backend: backend as BackendKind,
      objects: s('objects') === undefined ? preset.objects : parseObjects(s('objects')!),
      // startup's keyspace is exactly the objects it writes.
      keys: count ?? int('keys', s('keys'), 10_000_000) ?? preset.keys,
      mailboxCapacity: int('mailbox', s('mailbox'), 1_000_000) ?? preset.mailboxCapacity,
      load,
    },
    out: s('out'),
    metricsPort,
    dir: s('dir'),
    s3: {
      endpoint: endpointArg(s('endpoint')),
      bucket: s('bucket') ?? 'stowage-loadtest',
      region: s('region') ?? 'us-east-1',
      allowRemote: v['allow-remote'] === true,
    },
    progress: v['no-progress'] !== true,
    ignored,
  };
}

function applyOverrides(
  shape: Shape,
  v: Record<string, unknown>,
  ignored: string[],
  scenario: string,
): Shape {
  const s = (name: string) => v[name] as string | undefined;
  const concurrency = int('concurrency', s('concurrency'), 100_000);
  const duration = positive('duration', s('duration'), 3600);
  const rate = positive('rate', s('rate'), 1_000_000);
  const mix = s('mix') === undefined ? undefined : parseMix(s('mix')!);
  const use = (...names: string[]) => {
    for (const n of names) if (v[n] !== undefined) ignored.push(`--${n} does not apply to ${scenario}`);
  };
  switch (shape.shape) {
    case 'closed':
      use('count', 'runs', 'p99-bound');
      if (rate !== undefined) {
        return {
          shape: 'open',
          rate,
          durationS: duration ?? shape.durationS,
          mix: mix ?? shape.mix,
          maxOutstanding: concurrency ?? 10_000,
        };
      }
      return {
        ...shape,
        concurrency: concurrency ?? shape.concurrency,
        durationS: duration ?? shape.durationS,
        mix: mix ?? shape.mix,
      };
    case 'open':
      use('count', 'runs', 'p99-bound');
      return {
        ...shape,
        rate: rate ?? shape.rate,
        durationS: duration ?? shape.durationS,
        mix: mix ?? shape.mix,
        maxOutstanding: concurrency ?? shape.maxOutstanding,
      };
    case 'ramp': {
      use('rate', 'count', 'runs');
      const cap = concurrency ?? Math.max(...shape.steps);
      const steps = shape.steps.filter((c) => c < cap).concat([cap]);
      const p99BoundMs = positive('p99-bound', s('p99-bound'), 600_000) ?? shape.p99BoundMs;
      return { ...shape, steps, stepS: duration ?? shape.stepS, p99BoundMs, mix: mix ?? shape.mix };
    }
    case 'burst':
      use('rate', 'concurrency', 'mix', 'count', 'runs', 'p99-bound');
      // --duration counts bursts here, so it is a whole number, not seconds rounded.
      return { ...shape, bursts: int('duration', s('duration'), 3600) ?? shape.bursts };
    case 'startup':
      use('rate', 'duration', 'mix', 'concurrency', 'p99-bound', 'keys');
      return {
        ...shape,
        count: int('count', s('count'), 10_000_000) ?? shape.count,
        runs: int('runs', s('runs'), 100) ?? shape.runs,
      };
  }
}

/** An S3 endpoint is an http(s) URL; anything else is a usage mistake, not a crash in the setup. */
function endpointArg(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const problem = httpUrlProblem(text);
  if (problem) throw new UsageError(`--endpoint: ${problem}`);
  return text;
}
