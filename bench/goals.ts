import { tableAfter } from './doc.js';

/**
 * Every ratio and bound named in issues #3 (file), #4 (runtime) and #5 (s3), with its goal. The
 * measured value is lifted from the benchmark's own section of docs/benchmarks.md, so the head can
 * show it next to the goal; when a section's wording changes and nothing matches, the head says
 * where to look instead of inventing a number.
 */

export interface Goal {
  readonly issue: number;
  readonly bench: string;
  readonly what: string;
  readonly goal: string;
  /** The measured value(s), as written in the section, or undefined if not found. */
  readonly measure: (section: string) => string | undefined;
}

/** The cell `column` of the row whose first cell matches `label`, in the table after `heading`. */
function cell(section: string, heading: RegExp, label: RegExp, column: number): string | undefined {
  return tableAfter(section, heading).find((row) => label.test(row[0] ?? ''))?.[column];
}

/** `first cell: chosen cell` for every body row of a table, e.g. one ratio per in-flight level. */
function perRow(
  section: string,
  heading: RegExp,
  column: (row: string[]) => string | undefined,
): string | undefined {
  const rows = tableAfter(section, heading).slice(1);
  const values = rows.map((row) => `${row[0]} in flight: ${column(row) ?? '?'}`);
  return values.length > 0 ? values.join('; ') : undefined;
}

const fileGoal = (label: RegExp) => (s: string) => cell(s, /^\| goal \| measured/, label, 1);

export const GOALS: readonly Goal[] = [
  {
    issue: 3,
    bench: 'file',
    what: 'durable puts/s at 256 in flight, stowage file ÷ etcd (single node, same disk)',
    goal: '≥ 4×',
    measure: fileGoal(/^provider \+ file puts\/s at 256 vs etcd/),
  },
  {
    issue: 3,
    bench: 'file',
    what: 'durable puts/s at 256 in flight ÷ raw log append + fdatasync at batch 256',
    goal: '≥ 0.3×',
    measure: fileGoal(/^provider \+ file puts\/s at 256 vs raw group-commit/),
  },
  {
    issue: 3,
    bench: 'file',
    what: 'p99 put latency at 64 in flight',
    goal: '≤ 10 ms',
    measure: fileGoal(/^provider \+ file p99 put latency at 64/),
  },
  {
    issue: 3,
    bench: 'file',
    what: 'cold initialize of 100k objects ÷ JSON.parse of the same bytes',
    goal: '≤ 2×',
    measure: fileGoal(/^cold initialize vs JSON\.parse/),
  },
  {
    issue: 3,
    bench: 'file',
    what: 'resident memory ÷ data size (peak of the open and steady, whichever is higher)',
    goal: '≤ 2×',
    measure: fileGoal(/^resident memory vs data size, peak/),
  },
  {
    issue: 3,
    bench: 'file',
    what: 'resident memory ÷ data size after 200,000 random overwrites of 100k objects',
    goal: '≤ 2×',
    measure: fileGoal(/^resident memory vs data size after random overwrites/),
  },
  {
    issue: 4,
    bench: 'runtime',
    what: '(a) memory backend through the runtime ÷ raw worker_threads round trip, at 1, 64, 1024 in flight',
    goal: 'none set (the floor)',
    measure: (s) => perRow(s, /^### \(a\)/, (row) => row.at(-1)),
  },
  {
    issue: 4,
    bench: 'runtime',
    what: '(b) file backend through the runtime ÷ the same backend on the main thread, throughput',
    goal: '≥ 0.9',
    measure: (s) => perRow(s, /^### \(b\)/, (row) => row.at(-1)),
  },
  {
    issue: 4,
    bench: 'runtime',
    what: '(c) main-thread event-loop delay p99 under CRD load, runtime ÷ direct',
    goal: '≤ 0.2',
    measure: (s) => /loop-delay p99: \*\*([\d.]+)\*\*/.exec(s)?.[1],
  },
  {
    issue: 5,
    bench: 's3',
    what: 'puts/s, stowage ÷ raw SDK at the same concurrency (direct; through the runtime)',
    goal: '≥ 0.9',
    measure: (s) => s3Pair(s, 2),
  },
  {
    issue: 5,
    bench: 's3',
    what: 'gets/s, stowage ÷ raw SDK at the same concurrency (direct; through the runtime)',
    goal: '≥ 0.9',
    measure: (s) => s3Pair(s, 5),
  },
  {
    issue: 5,
    bench: 's3',
    what: 'getAllObjects of 5,000 objects ÷ raw list + parallel get',
    goal: '≥ 0.9',
    measure: (s) => cell(s, /^\| getAllObjects of/, /^stowage/, 3),
  },
];

function s3Pair(section: string, column: number): string | undefined {
  const direct = cell(section, /put ratio to raw/, /^stowage direct/, column);
  const runtime = cell(section, /put ratio to raw/, /^stowage runtime/, column);
  if (direct === undefined && runtime === undefined) return undefined;
  return `${direct ?? '?'}; ${runtime ?? '?'}`;
}
