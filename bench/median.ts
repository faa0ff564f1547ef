/** The median of a sample; with an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * `numerators[i] ÷ denominators[i]`: the ratio within each run, whose contenders were measured side
 * by side, so a goal can be judged run by run as well as on the medians.
 */
export function pairedRatios(numerators: readonly number[], denominators: readonly number[]): number[] {
  return numerators.slice(0, denominators.length).map((n, i) => n / denominators[i]!);
}

/**
 * The median of the runs' ratios followed by each run's, e.g. `0.36 (runs 0.31 / 0.36 / 0.40)`.
 * A ratio of the two medians could pair numbers from different runs.
 */
export function withRuns(ratios: readonly number[], suffix = ''): string {
  const each = ratios.map((r) => `${r.toFixed(2)}${suffix}`).join(' / ');
  return `${median(ratios).toFixed(2)}${suffix} (runs ${each})`;
}
