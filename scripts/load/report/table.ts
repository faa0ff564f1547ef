import type { Percentiles } from '../recorder.js';
import type { LoadReport } from './model.js';

/** The report as a plain-text table for the terminal (stdout). */

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (value: number) =>
  value < 10 ? value.toFixed(3) : value < 1000 ? value.toFixed(1) : value.toFixed(0);
const n = (value: number) => Math.round(value).toLocaleString('en-US');

function latencyRow(name: string, p: Percentiles, opsPerSecond: number): string[] {
  return [name, n(p.count), n(opsPerSecond), ms(p.p50), ms(p.p90), ms(p.p99), ms(p.p999), ms(p.max)];
}

function describeLoad(report: LoadReport): string {
  const load = report.config.load;
  switch (load.shape) {
    case 'closed':
      return `closed loop, ${load.concurrency} callers`;
    case 'open':
      return `fixed rate ${n(load.rate)} ops/s (at most ${n(load.maxOutstanding)} outstanding)`;
    case 'ramp':
      return `ramp over concurrency ${load.steps.join(', ')}, ${load.stepS} s per step`;
    case 'burst':
      return `${load.bursts} bursts of ${load.multiple}× the mailbox capacity (${report.config.mailboxCapacity})`;
    case 'startup':
      return `write ${n(load.count)} objects, then ${load.runs} cold starts`;
  }
}

export function renderTable(report: LoadReport, files: { json: string; html: string }): string {
  const seconds = report.durationSeconds;
  const objects =
    report.config.objects.kind === 'fixtures'
      ? 'kube-prometheus manifests'
      : `${report.config.objects.bytes} B objects`;
  const out = [
    '',
    `scenario ${report.scenario}: ${report.description}`,
    `backend ${report.config.backend} (${report.config.instance}) at ${report.config.target}`,
    `${describeLoad(report)}; ${objects}; ${n(report.config.keys)} keys; ${seconds} s measured`,
    '',
    table(
      ['operation', 'ok', 'ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms'],
      [
        ...Object.entries(report.latencyMs.byOperation).map(([op, p]) =>
          latencyRow(op, p, p.count / seconds),
        ),
        latencyRow('all', report.latencyMs.all, report.totals.opsPerSecond),
      ],
    ),
    '',
    report.latencyBasis === 'intended-start'
      ? `latency from each operation's intended start (corrected for coordinated omission); ` +
        `uncorrected service time p50 ${ms(report.serviceTimeMs.all.p50)} ms, p99 ${ms(report.serviceTimeMs.all.p99)} ms; ` +
        `issued late by p50 ${ms(report.scheduleLagMs.p50)} ms, p99 ${ms(report.scheduleLagMs.p99)} ms`
      : `latency from the call to its completion${report.config.load.shape === 'closed' ? ' (closed loop: no schedule to fall behind)' : ''}`,
    `throughput ${n(report.totals.opsPerSecond)} ops/s · errors ${report.totals.errors} · rejections ${report.totals.rejections}` +
      (Object.keys(report.totals.codes).length > 0 ? ` (${JSON.stringify(report.totals.codes)})` : ''),
  ];
  for (const [code, message] of Object.entries(report.totals.samples)) out.push(`  ${code}: ${message}`);
  if (report.ramp) {
    out.push(
      '',
      table(
        ['concurrency', 'ops/s', 'p50 ms', 'p99 ms', 'errors', 'rejections', 'within bounds'],
        report.ramp.steps.map((s) => [
          String(s.concurrency),
          n(s.opsPerSecond),
          ms(s.latencyMs.p50),
          ms(s.latencyMs.p99),
          String(s.errors),
          String(s.rejections),
          s.withinBounds ? 'yes' : 'no',
        ]),
      ),
      report.ramp.knee
        ? `knee: concurrency ${report.ramp.knee.concurrency}, ${n(report.ramp.knee.opsPerSecond)} ops/s, p99 ${ms(report.ramp.knee.latencyMs.p99)} ms` +
            (report.ramp.stoppedBy
              ? ` (next step: ${report.ramp.stoppedBy})`
              : ' (no step passed the bounds)')
        : `no step within bounds (${report.ramp.stoppedBy})`,
    );
  }
  if (report.bursts) {
    out.push(
      '',
      table(
        ['burst', 'submitted', 'accepted', 'rejected', 'errors', 'drained in s', 'p99 ms'],
        report.bursts.map((b, i) => [
          String(i + 1),
          n(b.submitted),
          n(b.ok),
          n(b.rejections),
          String(b.errors),
          b.seconds.toFixed(3),
          ms(b.latencyMs.p99),
        ]),
      ),
    );
  }
  if (report.startup) {
    const s = report.startup;
    out.push(
      '',
      `write phase: ${n(s.objects)} puts in ${s.write.seconds} s, ${n(s.write.opsPerSecond)} ops/s, p99 ${ms(s.write.latencyMs.p99)} ms`,
      `cold initialize of ${n(s.objects)} objects: median ${s.medianInitializeSeconds} s ` +
        `(runs: ${s.initializeSeconds.join(', ')} s; first full listing ${s.firstListSeconds.join(', ')} s; ` +
        `RSS growth ${s.rssGrowthMiB.join(', ')} MiB)`,
    );
  }
  out.push('', 'checks:');
  for (const c of report.checks) out.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.detail})`);
  out.push('', `JSON   ${files.json}`, `chart  ${files.html}`, `metrics were at ${report.metricsUrl}`, '');
  return out.join('\n');
}
