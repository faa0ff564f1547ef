import type { TimelinePoint } from '../recorder.js';
import type { LoadReport } from './model.js';

/**
 * A self-contained HTML page: inline SVG line charts of throughput and latency over time, and the
 * summary. No scripts, stylesheets, fonts or images are fetched, so it opens offline and can be
 * attached to an issue as it is.
 */

interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

const W = 760;
const H = 240;
const PAD = { left: 64, right: 16, top: 16, bottom: 48 };

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** A round upper bound for the axis: 1, 2 or 5 × a power of ten. */
function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((m) => m * power).find((m) => m >= value) ?? 10 * power) as number;
}

export function lineChart(
  title: string,
  unit: string,
  times: readonly number[],
  series: readonly Series[],
): string {
  const maxT = Math.max(1, ...times);
  const maxY = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (t: number) => PAD.left + (t / maxT) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / maxY) * (H - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * maxY);
  const grid = ticks
    .map(
      (v) =>
        `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>` +
        `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${formatTick(v)}</text>`,
    )
    .join('');
  const timeTicks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<text x="${x(f * maxT)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${(f * maxT).toFixed(maxT < 20 ? 1 : 0)} s</text>`,
    )
    .join('');
  const lines = series
    .map((s) => {
      const points = s.values.map((v, i) => `${x(times[i]!).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points}"/>`;
    })
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${PAD.left + 10 + i * 140}" y="${H - 14}" width="12" height="4" fill="${s.color}"/>` +
        `<text x="${PAD.left + 26 + i * 140}" y="${H - 9}">${escapeHtml(s.label)}</text>`,
    )
    .join('');
  return [
    `<figure><figcaption>${escapeHtml(title)} (${escapeHtml(unit)})</figcaption>`,
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)}">`,
    grid,
    `<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#888"/>`,
    timeTicks,
    lines,
    legend,
    '</svg></figure>',
  ].join('');
}

function formatTick(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return v >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(2);
}

function timelineCharts(timeline: readonly TimelinePoint[]): string {
  const times = timeline.map((p) => p.t);
  return [
    lineChart('Throughput', 'successful ops/s per second', times, [
      { label: 'ops/s', color: '#1f77b4', values: timeline.map((p) => p.opsPerSecond) },
    ]),
    lineChart('Latency', 'ms, per one-second interval', times, [
      { label: 'p50', color: '#2ca02c', values: timeline.map((p) => p.p50Ms) },
      { label: 'p99', color: '#d62728', values: timeline.map((p) => p.p99Ms) },
    ]),
    lineChart('Errors, rejections and queue depth', 'count per interval / waiting operations', times, [
      { label: 'errors', color: '#d62728', values: timeline.map((p) => p.errors) },
      { label: 'rejections', color: '#ff7f0e', values: timeline.map((p) => p.rejections) },
      { label: 'queue depth', color: '#9467bd', values: timeline.map((p) => p.queueDepth) },
    ]),
  ].join('\n');
}

function summaryTable(report: LoadReport): string {
  const rows = Object.entries(report.latencyMs.byOperation)
    .concat([['all', report.latencyMs.all]])
    .map(
      ([op, p]) =>
        `<tr><td>${escapeHtml(op)}</td><td>${p.count}</td><td>${p.p50}</td><td>${p.p90}</td><td>${p.p99}</td>` +
        `<td>${p.p999}</td><td>${p.max}</td></tr>`,
    )
    .join('');
  return (
    '<table><tr><th>operation</th><th>ok</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th>' +
    `<th>max ms</th></tr>${rows}</table>`
  );
}

function htmlTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('');
  return `<table><tr>${head}</tr>${body}</table>`;
}

/** The ramp's steps, the bursts, or the cold starts, when the scenario has them. */
function shapeDetails(report: LoadReport): string {
  const parts: string[] = [];
  if (report.ramp) {
    const knee = report.ramp.knee;
    parts.push(
      '<h2>Ramp</h2>',
      htmlTable(
        ['concurrency', 'ops/s', 'p50 ms', 'p99 ms', 'errors', 'rejections', 'within bounds'],
        report.ramp.steps.map((s) => [
          s.concurrency,
          s.opsPerSecond,
          s.latencyMs.p50,
          s.latencyMs.p99,
          s.errors,
          s.rejections,
          s.withinBounds ? 'yes' : 'no',
        ]),
      ),
      `<p>Knee: ${knee ? `concurrency ${knee.concurrency}, ${knee.opsPerSecond} ops/s` : 'none'}${
        report.ramp.stoppedBy ? `; stopped by ${escapeHtml(report.ramp.stoppedBy)}` : ''
      }.</p>`,
    );
  }
  if (report.bursts) {
    parts.push(
      '<h2>Bursts</h2>',
      htmlTable(
        ['burst', 'submitted', 'accepted', 'rejected', 'errors', 'drained in s', 'p99 ms'],
        report.bursts.map((b, i) => [
          i + 1,
          b.submitted,
          b.ok,
          b.rejections,
          b.errors,
          b.seconds,
          b.latencyMs.p99,
        ]),
      ),
    );
  }
  if (report.startup) {
    const s = report.startup;
    parts.push(
      '<h2>Cold starts</h2>',
      htmlTable(
        ['run', 'initialize s', 'first full listing s', 'RSS growth MiB'],
        s.initializeSeconds.map((t, i) => [i + 1, t, s.firstListSeconds[i] ?? '', s.rssGrowthMiB[i] ?? '']),
      ),
      `<p>${s.objects} objects; median cold initialize ${s.medianInitializeSeconds} s.</p>`,
    );
  }
  return parts.join('\n');
}

export function renderHtml(report: LoadReport): string {
  const m = report.environment.machine;
  const basis =
    report.latencyBasis === 'intended-start'
      ? 'Latency counts from each operation’s intended start (corrected for coordinated omission).'
      : 'Latency counts from the call to its completion.';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>stowage load test: ${escapeHtml(report.scenario)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}svg text{font-size:11px;fill:#444}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
figure{margin:16px 0}figcaption{font-weight:600}
</style></head><body>
<h1>stowage load test: ${escapeHtml(report.scenario)}</h1>
<p>${escapeHtml(report.description)}. Backend <b>${escapeHtml(report.config.backend)}</b> (${escapeHtml(report.config.instance)}),
started ${escapeHtml(report.startedAt)}, ${report.durationSeconds} s measured: <b>${report.totals.opsPerSecond} ops/s</b>,
${report.totals.errors} errors, ${report.totals.rejections} rejections.</p>
<p>${escapeHtml(m.cpuModel)}, ${m.cores} cores, ${m.memoryGiB} GiB, ${escapeHtml(m.kernel)};
Node ${escapeHtml(report.environment.versions.node)}, stowage ${escapeHtml(report.environment.versions.stowage)}. ${basis}</p>
${summaryTable(report)}
${shapeDetails(report)}
${timelineCharts(report.timeline)}
</body></html>
`;
}
