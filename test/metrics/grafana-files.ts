/** The files in grafana/, read the way Grafana and Prometheus read them, for the tests that check them. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { type RunResult, run } from './binaries.js';

const ROOT = new URL('../../', import.meta.url);
export const DASHBOARD_PATH = new URL('grafana/stowage-dashboard.json', ROOT);
export const RULES_PATH = new URL('grafana/alerts/stowage-rules.yml', ROOT);
export const RULE_TESTS_PATH = new URL('grafana/alerts/stowage-rules.test.yml', ROOT);

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } };
  readonly targets?: readonly { readonly refId: string; readonly expr: string }[];
}

export interface Dashboard {
  readonly schemaVersion: number;
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly { readonly name: string; readonly type: string; readonly query: unknown }[];
  };
  readonly [field: string]: unknown;
}

export interface NamedQuery {
  /** Where it came from, for failure messages: `panel 7 "Throughput" A` or `alert StowageX`. */
  readonly where: string;
  readonly expr: string;
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/** Every PromQL expression of every panel, as written (Grafana variables not yet substituted). */
export function dashboardQueries(dashboard: Dashboard = loadDashboard()): NamedQuery[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel ${panel.id} "${panel.title}" ${target.refId}`,
      expr: target.expr,
    })),
  );
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
}

export function alertRules(): AlertRule[] {
  const parsed = parseYaml(readFileSync(RULES_PATH, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return parsed.groups.flatMap((group) => group.rules);
}

/**
 * Parses and type-checks expressions with promtool: each becomes a recording rule in a temporary
 * rules file, which `promtool check rules` loads exactly as Prometheus would.
 */
export async function promtoolCheckExpressions(
  promtool: string,
  queries: readonly NamedQuery[],
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-promql-'));
  try {
    const rules = queries.map((query, index) => ({
      record: `stowage_check:expr_${index}`,
      expr: query.expr,
    }));
    const file = join(dir, 'expressions.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    return await run(promtool, ['check', 'rules', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
