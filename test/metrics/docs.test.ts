import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { StowageMetrics } from '../../src/metrics/stowage-metrics.js';
import { requireBinary, skipWithout } from './binaries.js';
import { promtoolCheckExpressions } from './grafana-files.js';
import { selectors } from './promql.js';

interface DocEntry {
  readonly name: string;
  readonly type: string;
  readonly labels: string[];
  readonly promql: string;
}

/** Each `#### \`name\`` section of docs/metrics.md with its Type, Labels and PromQL bullets. */
function documented(): DocEntry[] {
  const text = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  return text
    .split(/^#### /m)
    .slice(1)
    .map((section) => {
      const name = /^`([a-z_]+)`/.exec(section)?.[1];
      const type = /^- \*\*Type:\*\* (\w+)$/m.exec(section)?.[1];
      const labels = /^- \*\*Labels:\*\* (.+)$/m.exec(section)?.[1];
      const promql = /^- \*\*PromQL:\*\* `(.+)`$/m.exec(section)?.[1];
      assert.ok(name && type && labels && promql, `malformed section: ${section.slice(0, 80)}`);
      const labelNames =
        labels === 'none' ? [] : [...labels.matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);
      return { name, type, labels: labelNames.sort(), promql };
    });
}

/** Name → {type, label names} straight from a live registry. */
async function registered(): Promise<Map<string, { type: string; labels: string[] }>> {
  const metrics = new StowageMetrics();
  metrics.stop();
  const result = new Map<string, { type: string; labels: string[] }>();
  for (const family of await metrics.registry.getMetricsAsJSON()) {
    const metric = metrics.registry.getSingleMetric(family.name) as unknown as { labelNames: string[] };
    result.set(family.name, { type: String(family.type), labels: [...metric.labelNames].sort() });
  }
  return result;
}

describe('docs/metrics.md', () => {
  const entries = documented();

  test('documents every registered metric, and nothing else', async () => {
    const names = entries.map((e) => e.name);
    assert.equal(new Set(names).size, names.length, 'a metric is documented twice');
    assert.deepEqual([...names].sort(), [...(await registered()).keys()].sort());
  });

  test('gives each metric its real type and labels', async () => {
    const actual = await registered();
    for (const entry of entries) {
      assert.deepEqual({ type: entry.type, labels: entry.labels }, actual.get(entry.name), entry.name);
    }
  });

  test('each PromQL example queries its own metric', () => {
    for (const entry of entries) {
      const used = selectors(entry.promql).map((s) => s.metric.replace(/_(bucket|sum|count)$/, ''));
      assert.ok(used.includes(entry.name), `${entry.name}: ${entry.promql}`);
    }
  });

  test('the embedding examples import only what stowage exports', async () => {
    const text = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const exported = new Set(Object.keys(await import('../../src/index.js')));
    const imports = [...text.matchAll(/^import \{([^}]+)\} from 'stowage';$/gm)];
    assert.ok(imports.length >= 2);
    for (const [, names] of imports) {
      for (const name of (names as string).split(',').map((n) => n.trim())) {
        assert.ok(exported.has(name), `docs/metrics.md imports ${name}, which src/index.ts does not export`);
      }
    }
  });

  test('every PromQL example parses in promtool', { skip: skipWithout('promtool') }, async () => {
    const queries = entries.map((e) => ({ where: e.name, expr: e.promql }));
    const result = await promtoolCheckExpressions(requireBinary('promtool'), queries);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
});
