import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Percentiles } from '../../scripts/load/recorder.js';
import type { LoadReport } from '../../scripts/load/report/model.js';
import { ROOT, runLoadtest } from './run-loadtest.js';

/**
 * CI runs the load test's smoke scenario for real, as a child process, and checks that the report
 * is well-formed, self-contained and error-free. Nothing here asserts a speed: the machine is
 * shared and small, so only the shape of the numbers is checked (finite, ordered, non-negative).
 */

const dir = mkdtempSync(join(tmpdir(), 'stowage-loadtest-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function assertPercentiles(p: Percentiles | undefined, what: string): void {
  assert.ok(p, `${what} is present`);
  for (const [name, value] of Object.entries(p)) {
    assert.ok(Number.isFinite(value) && value >= 0, `${what}.${name} = ${value}`);
  }
  assert.ok(p.count > 0, `${what} counted operations`);
  assert.ok(p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.p999 && p.p999 <= p.max, `${what} is ordered`);
}

function assertWellFormed(report: LoadReport, scenario: string, backend: string): void {
  assert.equal(report.schema, 'stowage-loadtest/1');
  assert.equal(report.scenario, scenario);
  assert.equal(report.config.backend, backend);
  assert.match(report.config.instance, new RegExp(`^${backend}-[0-9a-f]{12}$`));
  assert.ok(!Number.isNaN(Date.parse(report.startedAt)));
  assert.ok(report.durationSeconds > 0);
  assert.equal(report.totals.errors, 0, `errors: ${JSON.stringify(report.totals.samples)}`);
  assert.equal(report.totals.attempted, report.totals.ok + report.totals.errors + report.totals.rejections);
  assert.ok(report.totals.ok > 0 && report.totals.opsPerSecond > 0);
  assertPercentiles(report.latencyMs.all, 'latencyMs.all');
  assertPercentiles(report.serviceTimeMs.all, 'serviceTimeMs.all');
  assert.ok(report.timeline.length >= 1, 'a timeline point per second');
  for (const point of report.timeline) {
    for (const value of Object.values(point))
      assert.ok(Number.isFinite(value) && value >= 0, JSON.stringify(point));
  }
  // The timeline holds every completed operation: a last interval under 0.25 s was left out, with
  // most of the last burst in it.
  let previous = 0;
  let charted = 0;
  for (const point of report.timeline) {
    charted += point.opsPerSecond * (point.t - previous);
    previous = point.t;
  }
  assert.ok(
    Math.abs(charted - report.totals.ok) <= 0.02 * report.totals.ok + 5,
    `the timeline holds ${charted.toFixed(0)} of ${report.totals.ok} operations`,
  );
  assert.ok(report.environment.machine.cores > 0);
  assert.equal(report.environment.versions.node, process.version);
  // A memory run touches neither etcd nor radosgw, so the report names neither.
  assert.equal('radosgw' in report.environment.versions || 'etcd' in report.environment.versions, false);
  assert.match(report.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  assert.ok(report.checks.length > 0);
  for (const check of report.checks) assert.ok(check.ok, `check failed: ${check.name} (${check.detail})`);
}

/** The chart must open offline: inline SVG, and nothing fetched (no src, href, url() or @import). */
function assertSelfContained(html: string): void {
  assert.match(html, /^<!doctype html>/);
  assert.ok((html.match(/<svg /g) ?? []).length >= 2, 'throughput and latency charts');
  assert.match(html, /<polyline [^>]*points="[\d., -]+"/);
  assert.doesNotMatch(html, /\b(src|href)\s*=|url\(|@import|<script|<link/i);
}

describe('npm run loadtest -- --scenario smoke', { timeout: 120_000 }, () => {
  for (const backend of ['memory', 'file'] as const) {
    test(`${backend}: a well-formed report, a self-contained chart, /metrics served, 0 errors`, async () => {
      const run = await runLoadtest(
        ['--scenario', 'smoke', '--backend', backend, '--duration', '2'],
        join(dir, `${backend}.json`),
      );
      assert.equal(run.code, 0, run.stderr);
      assertWellFormed(run.report, 'smoke', backend);
      assert.deepEqual(Object.keys(run.report.latencyMs.byOperation), ['put', 'get', 'list', 'delete']);
      assert.equal(run.report.latencyBasis, 'call-start');
      assert.equal(run.report.config.preloaded, run.report.config.keys);
      assertSelfContained(run.html);
      // The terminal report and the live progress line.
      assert.match(run.stdout, /operation\s+ok\s+ops\/s\s+p50 ms\s+p90 ms\s+p99 ms/);
      assert.match(run.stdout, /^all\s+[\d,]+\s+[\d,]+\s+[\d.]+/m);
      assert.match(
        run.stderr,
        /\[\s*\d+s\]\s+smoke\s+\d+ ops\/s\s+p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms\s+queue\s+\d+\s+errors 0\s+rejected 0/,
      );
      assert.equal(run.scrape?.status, 200, 'metrics answered during the run');
      assert.match(
        run.scrape!.body,
        new RegExp(`stowage_queue_capacity\\{[^}]*store="${run.report.config.instance}"`),
      );
    });
  }

  test('a fixed rate measures from intended start times (coordinated-omission correction)', async () => {
    const run = await runLoadtest(
      ['--scenario', 'steady', '--backend', 'memory', '--rate', '400', '--duration', '2', '--keys', '200'],
      join(dir, 'steady.json'),
    );
    assert.equal(run.code, 0, run.stderr);
    assertWellFormed(run.report, 'steady', 'memory');
    assert.equal(run.report.latencyBasis, 'intended-start');
    assert.equal(run.report.totals.attempted, 800, 'rate × duration operations, no more, no fewer');
    // Corrected latency = schedule lag + service time, so it can never be below the service time.
    assert.ok(run.report.latencyMs.all.max >= run.report.serviceTimeMs.all.max);
    assert.equal(run.report.scheduleLagMs.count, run.report.totals.ok);
  });

  test('burst: the excess over the mailbox is counted as rejections, not errors', async () => {
    const run = await runLoadtest(
      ['--scenario', 'burst', '--backend', 'memory', '--mailbox', '64', '--duration', '1'],
      join(dir, 'burst.json'),
    );
    assert.equal(run.code, 0, run.stderr);
    assertWellFormed(run.report, 'burst', 'memory');
    const [burst] = run.report.bursts ?? [];
    assert.equal(burst?.submitted, 640);
    assert.equal(burst.ok + burst.rejections + burst.errors, 640);
    assert.ok(burst.rejections > 0, 'rejections were counted');
    // Sampled right after the burst was submitted: the 50 ms timer fired only once it had drained.
    const deepest = Math.max(...run.report.timeline.map((point) => point.queueDepth));
    assert.ok(deepest >= 64, `the full mailbox shows in the timeline: ${deepest}`);
    assert.deepEqual(Object.keys(run.report.totals.codes), ['STOWAGE_QUEUE_FULL']);
    assertSelfContained(run.html);
    assert.match(run.html, /<h2>Bursts<\/h2>\s*<table>/);
  });

  test('ramp: a step past the p99 bound stops the ramp, and there is no knee below it', async () => {
    const run = await runLoadtest(
      [
        '--scenario',
        'ramp',
        '--backend',
        'memory',
        '--concurrency',
        '4',
        '--duration',
        '0.5',
        '--p99-bound',
        '0.001',
      ],
      join(dir, 'ramp.json'),
    );
    assert.equal(run.code, 0, run.stderr);
    assertWellFormed(run.report, 'ramp', 'memory');
    // No operation completes in a microsecond, so the first step is already over the bound.
    assert.equal(run.report.ramp?.steps.length, 1);
    assert.equal(run.report.ramp.steps[0]?.concurrency, 1);
    assert.equal(run.report.ramp.knee, null);
    assert.match(run.report.ramp.stoppedBy ?? '', /^p99 [\d.]+ ms > 0.001 ms$/);
  });

  test('startup: objects written through the runtime are all there after each cold start', async () => {
    const run = await runLoadtest(
      ['--scenario', 'startup', '--backend', 'file', '--count', '300', '--runs', '2'],
      join(dir, 'startup.json'),
    );
    assert.equal(run.code, 0, run.stderr);
    assertWellFormed(run.report, 'startup', 'file');
    assert.equal(run.report.startup?.write.ok, 300);
    assert.equal(run.report.startup.initializeSeconds.length, 2);
    assert.ok(run.report.startup.initializeSeconds.every((s) => s > 0));
  });
});

describe('an environment that cannot run the scenario', () => {
  test('an S3 endpoint that refuses connections, or a pinned metrics port that is taken, exits 2 with one line', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/load/main.ts', ...args], {
          cwd: ROOT,
          env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
        });
        child.once('exit', (code) => resolve({ code, stderr }));
      });
    const s3 = await run([
      '--scenario',
      'smoke',
      '--backend',
      's3',
      '--endpoint',
      'http://127.0.0.1:1',
      '--no-progress',
    ]);
    assert.equal(s3.code, 2, s3.stderr);
    assert.match(s3.stderr, /^cannot create or reach bucket stowage-loadtest at http:\/\/127\.0\.0\.1:1: /m);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const busy = await run([
        '--scenario',
        'smoke',
        '--backend',
        'memory',
        '--metrics-port',
        port,
        '--no-progress',
      ]);
      assert.equal(busy.code, 2, busy.stderr);
      assert.match(busy.stderr, new RegExp(`^--metrics-port ${port}: `, 'm'));
      // A report that cannot be written is found before the load, not after it.
      const notADirectory = join(dir, 'a-file');
      writeFileSync(notADirectory, '');
      const started = performance.now();
      const out = await run([
        '--scenario',
        'smoke',
        '--backend',
        'memory',
        '--out',
        join(notADirectory, 'r.json'),
      ]);
      assert.equal(out.code, 2, out.stderr);
      assert.match(
        out.stderr,
        /^--out .*a-file\/r\.json: cannot make its directory: .*a-file exists and is not a directory$/m,
      );
      assert.doesNotMatch(out.stderr, /metrics: /, 'no run was started');
      assert.ok(performance.now() - started < 15_000);
      // A directory where the report goes: after the whole run, EISDIR and exit 1 lost the report.
      const aDirectory = join(dir, 'r-dir.json');
      mkdirSync(aDirectory);
      const isDirectory = await run(['--scenario', 'smoke', '--backend', 'memory', '--out', aDirectory]);
      assert.equal(isDirectory.code, 2, isDirectory.stderr);
      assert.match(isDirectory.stderr, /^--out .*r-dir\.json: cannot write it: EISDIR/m);
      assert.doesNotMatch(isDirectory.stderr, /metrics: /, 'no run was started');
    } finally {
      taken.close();
    }
  });
});

describe('interrupting a run', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    test(`${signal} removes the temporary directory the run made and exits ${code}`, async () => {
      const tmp = mkdtempSync(join(dir, 'tmp-'));
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/load/main.ts',
          '--scenario',
          'steady',
          '--backend',
          'file',
          '--rate',
          '200',
          '--duration',
          '60',
          '--metrics-port',
          '0',
          '--no-progress',
          '--out',
          join(dir, `${signal}.json`),
        ],
        { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      await new Promise<void>((resolve, reject) => {
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
          if (stderr.includes('metrics: ')) resolve();
        });
        child.once('exit', () => reject(new Error(`exited before it ran: ${stderr}`)));
      });
      assert.equal(
        readdirSync(tmp).filter((n) => n.startsWith('stowage-loadtest-')).length,
        1,
        'the run made its directory',
      );
      child.kill(signal);
      const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      assert.equal(exitCode, code, stderr);
      assert.deepEqual(
        readdirSync(tmp).filter((n) => n.startsWith('stowage-loadtest-')),
        [],
      );
      assert.equal(existsSync(join(dir, `${signal}.json`)), false, 'an interrupted run writes no report');
    });
  }
});
