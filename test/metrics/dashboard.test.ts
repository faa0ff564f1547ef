import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { requireBinary, skipWithout } from './binaries.js';
import { metricFamilies, selectableSeries } from './catalog.js';
import {
  alertRules,
  dashboardQueries,
  loadDashboard,
  type NamedQuery,
  promtoolCheckExpressions,
} from './grafana-files.js';
import { selectors, substituteGrafanaVariables } from './promql.js';

const dashboard = loadDashboard();
const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
const queries = dashboardQueries(dashboard).map((q) => ({ ...q, expr: substituteGrafanaVariables(q.expr) }));
const rules = alertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));

/** What the issue asks the dashboard to show, each matched by a panel title. */
const REQUIRED_PANELS = [
  /^Instances up$/,
  /^Mean persist latency$/,
  /^Persist latency p50 by operation$/,
  /^Persist latency p99 by operation$/,
  /^Throughput by operation$/,
  /^Error rate by operation$/,
  /^Queue depth vs capacity$/,
  /^Queue rejections$/,
  /^Actor restarts$/,
  /^Probe latency$/,
  /^Pool utilization$/,
  /^Event-loop delay$/,
];

describe('grafana/stowage-dashboard.json', () => {
  test('is file-provisionable: schemaVersion >= 39, a datasource variable, no __inputs', () => {
    assert.ok(dashboard.schemaVersion >= 39, `schemaVersion ${dashboard.schemaVersion}`);
    assert.equal('__inputs' in dashboard, false);
    const datasource = dashboard.templating.list.find((v) => v.type === 'datasource');
    assert.ok(datasource, 'no datasource template variable');
    assert.equal(datasource.query, 'prometheus');
    for (const panel of panels) {
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: `\${${datasource.name}}` }, panel.title);
    }
  });

  test("the job variable's All is the jobs exposing stowage_build_info, not every job: Processes up showed other targets", () => {
    const job = dashboard.templating.list.find((v) => v.name === 'job') as
      | Record<string, unknown>
      | undefined;
    assert.ok(job, 'no job variable');
    assert.match(JSON.stringify(job.query), /label_values\(stowage_build_info, job\)/);
    assert.equal(job.includeAll, true);
    // A custom "All" value of .* matched every target's `up`; without one, Grafana sends the listed jobs.
    assert.equal(job.allValue, undefined);
  });

  test('uses only timeseries and stat panels, and has every required one', () => {
    for (const panel of panels) assert.match(panel.type, /^(timeseries|stat)$/, panel.title);
    assert.ok(panels.some((panel) => panel.type === 'stat'));
    for (const title of REQUIRED_PANELS) {
      assert.ok(
        panels.some((panel) => title.test(panel.title)),
        `no panel titled ${title}`,
      );
    }
  });

  test('every panel sets its unit and has at least one query', () => {
    for (const panel of panels) {
      const unit = panel.fieldConfig?.defaults?.unit;
      assert.equal(typeof unit, 'string', `panel "${panel.title}" has no unit`);
      assert.notEqual(unit, '', `panel "${panel.title}" has an empty unit`);
      assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has no query`);
    }
  });

  test('panel ids are unique', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('every expression parses in promtool', { skip: skipWithout('promtool') }, async () => {
    const result = await promtoolCheckExpressions(requireBinary('promtool'), queries);
    assert.equal(result.code, 0, `promtool check rules failed:\n${result.stdout}${result.stderr}`);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  test('a broken expression is caught by the same check', { skip: skipWithout('promtool') }, async () => {
    const broken = [{ where: 'broken', expr: 'sum by (store (rate(stowage_operations_total[1m]))' }];
    const result = await promtoolCheckExpressions(requireBinary('promtool'), broken);
    assert.notEqual(result.code, 0);
  });

  test('queries and template variables use only metrics our registry exposes, and Prometheus its up', async () => {
    const series = selectableSeries(await metricFamilies());
    for (const query of [...queries, ...variableQueries()]) {
      const used = selectors(query.expr);
      assert.ok(used.length > 0, `${query.where} selects no metric`);
      for (const { metric } of used)
        assert.ok(series.has(metric) || metric === 'up', `${query.where} uses unknown metric ${metric}`);
    }
    // A dead process's stores keep their last value on the stat panels; up is what says it died.
    assert.ok(queries.some((query) => selectors(query.expr).some(({ metric }) => metric === 'up')));
  });

  test('counters appear only inside rate() or increase(); gauges never do', async () => {
    checkFunctionUse(queries, selectableSeries(await metricFamilies()));
  });

  test('the checks catch a bare counter, a rated gauge, an unknown metric and broken syntax', async () => {
    const series = selectableSeries(await metricFamilies());
    const bad = (expr: string): NamedQuery[] => [{ where: 'bad', expr }];
    assert.throws(() => checkFunctionUse(bad('sum(stowage_operations_total)'), series), /outside rate/);
    assert.throws(
      () =>
        checkFunctionUse(
          bad('histogram_quantile(0.5, sum by (le) (stowage_queue_wait_seconds_bucket))'),
          series,
        ),
      /outside rate/,
    );
    assert.throws(() => checkFunctionUse(bad('rate(stowage_queue_depth[1m])'), series), /inside rate/);
    assert.equal(series.has(selectors('stowage_persist_duration_seconds')[0]?.metric ?? ''), false);
    assert.throws(() => selectors('sum by (store (rate(stowage_operations_total[1m]))'), /does not parse/);
  });

  test('every aggregation keeps the host apart, and the store wherever a panel selects stores', () => {
    for (const query of queries) checkGrouping(query, /\bstore=~/.test(query.expr));
  });

  test('the grouping check catches an aggregation that merges hosts or stores', () => {
    const bad = (expr: string) => ({ where: 'bad', expr });
    assert.throws(() => checkGrouping(bad('sum(rate(stowage_operations_total[1m]))'), false), /without by/);
    assert.throws(() => checkGrouping(bad('max by (store) (stowage_queue_depth)'), false), /instance/);
    assert.throws(
      () => checkGrouping(bad('max by (instance) (stowage_queue_depth{store=~".*"})'), true),
      /store/,
    );
    checkGrouping(bad('max by (instance, store) (stowage_queue_depth{store=~".*"})'), true);
  });

  test('every registered metric family appears on the dashboard', async () => {
    const used = new Set(queries.flatMap((q) => selectors(q.expr).map((s) => s.metric)));
    for (const variable of variableQueries()) for (const s of selectors(variable.expr)) used.add(s.metric);
    for (const [family, type] of await metricFamilies()) {
      const name = type === 'histogram' ? `${family}_bucket` : family;
      assert.ok(used.has(name), `${family} is on no panel`);
    }
  });
});

describe('grafana/alerts/stowage-rules.yml expressions', () => {
  test('use only metrics our registry exposes, counters only inside rate() or increase()', async () => {
    const series = selectableSeries(await metricFamilies());
    for (const rule of rules) {
      for (const { metric } of selectors(rule.expr))
        assert.ok(series.has(metric), `${rule.where}: ${metric}`);
    }
    checkFunctionUse(rules, series);
  });

  test('alert per host and store, so one alert never merges two stores', () => {
    for (const rule of rules) checkGrouping(rule, true);
  });
});

describe('grafana/provisioning', () => {
  const read = (path: string): unknown =>
    parseYaml(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));

  test('the dashboard provider loads files, the datasource is a Prometheus', () => {
    const dashboards = read('grafana/provisioning/dashboards/stowage.yaml') as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    assert.equal(dashboards.apiVersion, 1);
    assert.equal(dashboards.providers[0]?.type, 'file');
    assert.ok(dashboards.providers[0]?.options.path);
    const datasources = read('grafana/provisioning/datasources/prometheus.yaml') as {
      apiVersion: number;
      datasources: { type: string; url: string; isDefault: boolean }[];
    };
    assert.equal(datasources.apiVersion, 1);
    assert.equal(datasources.datasources[0]?.type, 'prometheus');
    // The dashboard's datasource variable falls back to the default Prometheus.
    assert.equal(datasources.datasources[0]?.isDefault, true);
  });
});

/** `label_values(<selector>, label)` of each query variable, as PromQL selectors. */
function variableQueries(): NamedQuery[] {
  return dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const text = (v.query as { query: string }).query;
      const match = /^label_values\((.+),\s*\w+\)$/.exec(text);
      assert.ok(match?.[1], `variable ${v.name}: unexpected query ${text}`);
      return { where: `variable ${v.name}`, expr: substituteGrafanaVariables(match[1]) };
    });
}

/**
 * Hosts configured alike share store names, so an aggregation that drops `instance` (the scrape
 * target) merges two hosts' stores into one line; one that drops `store` where the query selects
 * stores merges the stores of a host.
 */
function checkGrouping(query: NamedQuery, keepsStore: boolean): void {
  const aggregations = [...query.expr.matchAll(/\b(sum|min|max|avg|count)\s*(?:by\s*\(([^)]*)\))?\s*\(/g)];
  assert.ok(aggregations.length > 0, `${query.where}: no aggregation`);
  for (const [text, , by] of aggregations) {
    assert.ok(by !== undefined, `${query.where}: ${text} aggregates without by ()`);
    const labels = by.split(',').map((label) => label.trim());
    assert.ok(labels.includes('instance'), `${query.where}: ${text} drops instance`);
    if (keepsStore) assert.ok(labels.includes('store'), `${query.where}: ${text} drops store`);
  }
}

function checkFunctionUse(named: readonly NamedQuery[], series: Map<string, string>): void {
  for (const query of named) {
    for (const { metric, enclosingFunction } of selectors(query.expr)) {
      const inRate = enclosingFunction === 'rate' || enclosingFunction === 'increase';
      if (series.get(metric) === 'counter') {
        assert.ok(inRate, `${query.where}: counter ${metric} outside rate()/increase()`);
      } else {
        assert.ok(!inRate, `${query.where}: gauge ${metric} inside ${enclosingFunction}()`);
      }
    }
  }
}
