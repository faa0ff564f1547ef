import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { machine, versions } from '../../bench/machine.js';
import { parseLoadArgs, parseMix, parseObjects, UsageError } from '../../scripts/load/args.js';
import { closedLoop, openLoop } from '../../scripts/load/drivers.js';
import { Progress } from '../../scripts/load/progress.js';
import { newHistogram, percentilesMs, Recorder, timed } from '../../scripts/load/recorder.js';
import { lineChart } from '../../scripts/load/report/chart.js';
import { buildReport } from '../../scripts/load/report/model.js';
import { Keyspace, OperationPicker } from '../../scripts/load/workload.js';
import { QueueFullError } from '../../src/errors/index.js';
import { identify } from '../../src/objects/identity.js';
import type { RuntimeProvider } from '../../src/runtime/runtime-provider.js';

describe('load-test arguments', () => {
  test('a preset with overrides; --rate turns a closed loop into a fixed rate', () => {
    const closed = parseLoadArgs(['--scenario', 'smoke', '--backend', 'file', '--concurrency', '3']);
    assert.equal(closed.scenario.backend, 'file');
    assert.deepEqual(closed.scenario.load, {
      shape: 'closed',
      concurrency: 3,
      durationS: 3,
      mix: { put: 60, get: 30, list: 2, delete: 8 },
    });
    const open = parseLoadArgs(['--scenario', 'mixed', '--rate', '250', '--duration', '2']);
    assert.equal(open.scenario.load.shape, 'open');
    assert.equal(
      open.scenario.load.shape === 'open' && open.scenario.load.rate * open.scenario.load.durationS,
      500,
    );
  });

  test('the ramp is capped by --concurrency; options a shape does not use are reported', () => {
    const ramp = parseLoadArgs(['--scenario', 'ramp', '--concurrency', '24', '--runs', '2']);
    assert.deepEqual(ramp.scenario.load.shape === 'ramp' && ramp.scenario.load.steps, [1, 2, 4, 8, 16, 24]);
    assert.deepEqual(ramp.ignored, ['--runs does not apply to ramp']);
    const onMemory = parseLoadArgs([
      '--scenario',
      'smoke',
      '--backend',
      'memory',
      '--dir',
      '/tmp/x',
      '--bucket',
      'b',
    ]);
    assert.deepEqual(onMemory.ignored, [
      '--dir does not apply to --backend memory',
      '--bucket does not apply to --backend memory',
    ]);
    assert.deepEqual(
      parseLoadArgs(['--scenario', 'smoke', '--backend', 'file', '--dir', '/tmp/x']).ignored,
      [],
    );
    const startup = parseLoadArgs(['--scenario', 'startup', '--count', '500']);
    assert.equal(startup.scenario.keys, 500, 'the keyspace follows --count');
  });

  test('sizes, mixes and bad input', () => {
    assert.deepEqual(parseObjects('2KiB'), { kind: 'sized', bytes: 2048 });
    assert.deepEqual(parseObjects('1.5m'), { kind: 'sized', bytes: 1572864 });
    assert.deepEqual(parseObjects('fixtures'), { kind: 'fixtures' });
    assert.deepEqual(parseMix('put=3,delete=1'), { put: 3, get: 0, list: 0, delete: 1 });
    for (const bad of [
      ['--scenario', 'nope'],
      ['--scenario', 'smoke', '--backend', 'etcd'],
      ['--scenario', 'smoke', '--concurrency', '0'],
      ['--scenario', 'smoke', '--duration', '7200'],
      ['--scenario', 'smoke', '--mix', 'put=0'],
      ['--scenario', 'smoke', '--mix', 'scan=1'],
      ['--scenario', 'smoke', '--objects', '12 parsecs'],
      ['--scenario', 'smoke', '--metrics-port', '70000'],
      ['--scenario', 'startup', '--backend', 'memory'],
      ['--scenario', 'smoke', '--bogus', '1'],
      ['--scenario', 'smoke', 'stray'],
      // Over stowage's object size limit: every put would fail, or the preload build crash.
      ['--scenario', 'smoke', '--objects', '64MiB'],
      // Weights that read as a number but mean nothing: Infinity took every operation, '' was 0.
      ['--scenario', 'smoke', '--mix', 'put=Infinity,get=1'],
      ['--scenario', 'smoke', '--mix', 'put=,get=1'],
      ['--scenario', 'smoke', '--metrics-port', ''],
      // burst's --duration counts bursts: 0.2 was rounded up to one without a word.
      ['--scenario', 'burst', '--duration', '0.2'],
      ['--scenario', 'smoke', '--backend', 's3', '--endpoint', 'notaurl'],
    ]) {
      assert.throws(() => parseLoadArgs(bad), UsageError, bad.join(' '));
    }
  });
});

describe('the timeline', () => {
  /** A provider whose only store reports `depth()` as its queue depth. */
  const fakeProvider = (depth: () => number) =>
    ({
      snapshot: () => ({ instances: [{ queueDepth: depth() }], workers: 1 }),
    }) as unknown as RuntimeProvider;

  test("a point's queue depth is the deepest seen in its second, not the depth at its end", async () => {
    const recorder = new Recorder();
    const started = performance.now();
    // Full for 300 ms, then drained, as a burst leaves the mailbox well before the second ends.
    const progress = new Progress(
      recorder,
      () => fakeProvider(() => (performance.now() - started < 300 ? 500 : 0)),
      false,
    );
    progress.start('burst');
    await sleep(1100);
    progress.stop();
    assert.equal(recorder.timeline[0]?.queueDepth, 500, JSON.stringify(recorder.timeline));
  });

  test('in a log, the second a final sliver is folded into is printed again marked as revising the line above', async () => {
    const recorder = new Recorder();
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write;
    try {
      const progress = new Progress(recorder, () => fakeProvider(() => 0), true);
      progress.start('steady');
      await sleep(1050);
      progress.stop();
    } finally {
      process.stderr.write = write;
    }
    assert.equal(recorder.timeline.length, 1, JSON.stringify(recorder.timeline));
    assert.equal(lines.length, 2, lines.join(''));
    assert.doesNotMatch(lines[0] as string, /revises/);
    // Before, the same second was printed twice alike, and its counts read as added twice.
    assert.match(
      lines[1] as string,
      /\(revises the line above: the run's last fraction of a second folded in\)\n$/,
    );
  });

  test('a phase change just after a point, or at the start, does not close a sliver of a point, whose rate would be noise', async () => {
    const recorder = new Recorder();
    const progress = new Progress(recorder, () => fakeProvider(() => 0), false);
    progress.start('start');
    progress.setPhase('a');
    await sleep(1030);
    progress.setPhase('b');
    await sleep(400);
    progress.stop();
    const ends = recorder.timeline.map((point) => point.t);
    const lengths = ends.map((t, i) => t - (i === 0 ? 0 : (ends[i - 1] as number)));
    assert.equal(lengths.length, 2, JSON.stringify(ends));
    for (const seconds of lengths)
      assert.ok(seconds >= 0.25, `a point of ${seconds} s: ${JSON.stringify(ends)}`);
  });
});

describe('recording', () => {
  test('latency counts from the intended start; service time from the call', () => {
    const recorder = new Recorder();
    recorder.record('put', 0, 100, 101, 'ok');
    const latency = recorder.overall('latency');
    const service = recorder.overall('service');
    assert.ok(Math.abs(latency.maxValue - 101_000) <= 101, `${latency.maxValue} µs`);
    assert.ok(Math.abs(service.maxValue - 1_000) <= 1, `${service.maxValue} µs`);
    assert.ok(Math.abs(recorder.lag.maxValue - 100_000) <= 100);
  });

  test('QueueFullError is a rejection; any other failure is an error; neither is timed', async () => {
    const recorder = new Recorder();
    const full = new QueueFullError('full', { instance: 'x', capacity: 1 });
    await timed(recorder, 'put', performance.now(), () => Promise.reject(full));
    await timed(recorder, 'get', performance.now(), () => Promise.reject(new TypeError('boom')));
    await timed(recorder, 'get', performance.now(), () => Promise.resolve());
    assert.deepEqual([recorder.ok, recorder.errors, recorder.rejections], [1, 1, 1]);
    assert.deepEqual(Object.fromEntries(recorder.errorCodes), { STOWAGE_QUEUE_FULL: 1, TypeError: 1 });
    assert.equal(recorder.errorSamples.get('TypeError'), 'boom');
    assert.equal(recorder.overall('latency').totalCount, 1);
  });

  test('a fixed rate schedules operation i at start + i/rate and caps what is outstanding', async () => {
    const due: number[] = [];
    let outstanding = 0;
    let most = 0;
    await openLoop(2000, 0.05, 4, async (intended) => {
      due.push(intended);
      most = Math.max(most, ++outstanding);
      await new Promise<void>((resolve) => setImmediate(resolve));
      outstanding--;
    });
    assert.equal(due.length, 100);
    for (let i = 1; i < due.length; i++) assert.ok(Math.abs(due[i]! - due[i - 1]! - 0.5) < 1e-6, `gap ${i}`);
    assert.ok(most <= 4, `at most 4 outstanding, saw ${most}`);
  });

  test('a closed loop whose operations settle at once still lets timers run (the progress line, /metrics)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    let issued = 0;
    try {
      // As an instance that is down fails each operation at once: no event-loop turn in between.
      await closedLoop(8, 0.3, async () => {
        issued++;
      });
    } finally {
      clearInterval(timer);
    }
    assert.ok(issued > 1000, `issued ${issued}`);
    assert.ok(ticks >= 10, `a 10 ms timer fired ${ticks} times in 300 ms`);
  });
});

describe('workload', () => {
  test('weights pick operations in proportion; a seed repeats the sequence', () => {
    const picks = (seed: number) => {
      const picker = new OperationPicker({ put: 3, get: 1, list: 0, delete: 0 }, 50, seed);
      return Array.from({ length: 4000 }, () => picker.next());
    };
    const a = picks(7);
    assert.deepEqual(a, picks(7));
    const puts = a.filter((p) => p.op === 'put').length;
    assert.ok(puts > 2700 && puts < 3300, `${puts} puts of 4000`);
    assert.ok(a.every((p) => p.k >= 0 && p.k < 50 && p.op !== 'list'));
  });

  test('sized objects are about the requested size; fixture copies stay valid objects', () => {
    const sized = new Keyspace(1000, { kind: 'sized', bytes: 2048 });
    const length = JSON.stringify(sized.object(999)).length;
    assert.ok(Math.abs(length - 2048) <= 8, `${length} bytes`);
    const fixtures = new Keyspace(1000, { kind: 'fixtures' });
    assert.ok(fixtures.period > 50, `${fixtures.period} manifests`);
    const keys = new Set<string>();
    for (let k = 0; k < fixtures.period * 2; k++) {
      const { gvk, key } = identify(fixtures.object(k));
      keys.add(`${gvk.group}/${gvk.kind}/${key}`);
    }
    assert.equal(keys.size, fixtures.period * 2, 'every key is distinct');
  });
});

test('the chart scales to its data and fetches nothing', () => {
  const svg = lineChart('Latency', 'ms', [1, 2, 3], [{ label: 'p99', color: '#d62728', values: [1, 7, 3] }]);
  assert.match(svg, />10<\/text>/, 'the axis tops out at a round 10');
  assert.doesNotMatch(svg, /\b(src|href)\s*=|url\(/);
});

describe('report checks', () => {
  const environment = { machine: machine(), versions: versions() };
  const window = {
    seconds: 1,
    ok: 10,
    errors: 0,
    rejections: 0,
    opsPerSecond: 10,
    latencyMs: percentilesMs(newHistogram()),
  };

  test('a failed cold start fails the startup check with its cause instead of ending the run', () => {
    const { scenario } = parseLoadArgs(['--scenario', 'startup', '--count', '10']);
    const recorder = new Recorder();
    recorder.record('put', 0, 100, 101, 'ok');
    const report = buildReport({
      scenario,
      target: 'file',
      instance: 'file-x',
      startedAt: new Date(),
      loadSeconds: 1,
      preloaded: 0,
      recorder,
      environment,
      metricsUrl: 'http://127.0.0.1:1/metrics',
      startup: {
        objects: 10,
        write: window,
        initializeSeconds: [0.1],
        medianInitializeSeconds: 0.1,
        firstListSeconds: [0.01],
        rssGrowthMiB: [1],
        failures: ['cold start 2: boom'],
      },
    });
    const check = report.checks.find((c) => c.name === 'every cold start loaded every object');
    assert.equal(check?.ok, false);
    assert.match(check?.detail ?? '', /boom/);
  });

  test('a burst is timed from its start, and the report says so', () => {
    const { scenario } = parseLoadArgs(['--scenario', 'burst']);
    const report = buildReport({
      scenario,
      target: 'memory',
      instance: 'memory-x',
      startedAt: new Date(),
      loadSeconds: 1,
      preloaded: 0,
      recorder: new Recorder(),
      environment,
      metricsUrl: 'http://127.0.0.1:1/metrics',
      bursts: [],
    });
    assert.equal(report.latencyBasis, 'intended-start');
  });
});
