import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { requireBinary, run, skipWithout } from './binaries.js';
import { alertRules, RULE_TESTS_PATH, RULES_PATH } from './grafana-files.js';
import { signalOfCondition } from './promql.js';

/** The alerts stowage ships (the six, failing compactions and the torn-tail notice), by name in stowage-rules.yml. */
const REQUIRED_ALERTS = [
  'StowagePersistLatencyHigh',
  'StowageErrorRateHigh',
  'StowageQueueSaturating',
  'StowageQueueRejecting',
  'StowageInstanceDown',
  'StowageRestartsFlapping',
  'StowageCompactionFailing',
  'StowageTornTailDropped',
];

interface RuleTests {
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('grafana/alerts/stowage-rules.yml', () => {
  const rules = alertRules();

  test('has every required alert, each a `<signal> <comparison> <number>` condition', () => {
    assert.deepEqual(rules.map((rule) => rule.alert).sort(), [...REQUIRED_ALERTS].sort());
    for (const rule of rules) assert.ok(signalOfCondition(rule.expr), `${rule.alert}: ${rule.expr}`);
  });

  test('every alert has a unit test where it fires and one where it stays quiet', () => {
    const suite = parseYaml(readFileSync(RULE_TESTS_PATH, 'utf8')) as RuleTests;
    const cases = suite.tests.flatMap((t) => t.alert_rule_test);
    for (const alert of REQUIRED_ALERTS) {
      const own = cases.filter((c) => c.alertname === alert);
      assert.ok(
        own.some((c) => c.exp_alerts.length > 0),
        `${alert} never expected to fire`,
      );
      assert.ok(
        own.some((c) => c.exp_alerts.length === 0),
        `${alert} never expected to stay quiet`,
      );
    }
  });

  test('promtool check rules accepts the file', { skip: skipWithout('promtool') }, async () => {
    const result = await run(requireBinary('promtool'), ['check', 'rules', fileURLToPath(RULES_PATH)]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${REQUIRED_ALERTS.length} rules found`));
  });

  test('promtool test rules passes the unit tests', { skip: skipWithout('promtool') }, async () => {
    const file = fileURLToPath(RULE_TESTS_PATH);
    const result = await run(
      requireBinary('promtool'),
      ['test', 'rules', file],
      '',
      fileURLToPath(new URL('.', RULE_TESTS_PATH)),
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS/);
  });
});
