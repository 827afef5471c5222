/**
 * The shipped Grafana dashboard and Prometheus alert rules only reference metrics the service
 * exports, so a renamed metric breaks this test instead of a dashboard nobody looks at.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../../src/metrics.ts';
import { createPipelineMetrics } from '../../src/pipeline/pipeline-metrics.ts';

const ALERTS = 'deploy/prometheus/challenge-service-alerts.yml';
const DASHBOARD = 'deploy/grafana/challenge-service-dashboard.json';

/** Every family the service exports on /metrics, the worker threads' included. */
async function exportedFamilies(): Promise<Map<string, string>> {
  const families = [
    ...(await createMetrics().registry.getMetricsAsJSON()),
    ...(await createPipelineMetrics().registry.getMetricsAsJSON()),
  ];
  return new Map(families.map((family) => [family.name, String(family.type)]));
}

/** The metric a PromQL name stands for: histogram series carry _bucket, _sum or _count. */
function referencedFamilies(expression: string): string[] {
  return [...expression.matchAll(/\bchallenge_[a-z0-9_]+/g)].map((match) => match[0]);
}

function checkReferences(expressions: readonly string[], families: ReadonlyMap<string, string>): void {
  expect(expressions.length).toBeGreaterThan(0);
  for (const expression of expressions) {
    const names = referencedFamilies(expression);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const type = families.get(name) ?? families.get(base);
      expect({ expression, name, exported: type !== undefined }).toEqual({
        expression,
        name,
        exported: true,
      });
      if (name !== base && !families.has(name)) expect(type).toBe('histogram');
    }
  }
}

interface AlertRules {
  groups: { name: string; rules: { alert: string; expr: string; for?: string; labels?: object }[] }[];
}

test('every alert rule is well formed and references exported metrics', async () => {
  const rules = Bun.YAML.parse(readFileSync(ALERTS, 'utf8')) as AlertRules;
  const all = rules.groups.flatMap((group) => group.rules);
  expect(all.map((rule) => rule.alert).sort()).toEqual([
    'ChallengeDatabaseUnavailable',
    'ChallengeEventCallsNearLimit',
    'ChallengeEventsFailing',
    'ChallengeHttp5xx',
    'ChallengeRewardGrantsFailing',
  ]);
  for (const rule of all) expect([typeof rule.expr, typeof rule.for]).toEqual(['string', 'string']);
  checkReferences(
    all.map((rule) => rule.expr),
    await exportedFamilies(),
  );
});

test('every dashboard panel queries exported metrics', async () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const expressions = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
  checkReferences(expressions, await exportedFamilies());
  const titles = dashboard.panels.map((panel) => panel.title).join(' | ');
  for (const topic of [
    'requests',
    'latency',
    'errors',
    'Events',
    'backlog',
    'Flush',
    'Claims',
    'memory',
    'pool',
  ]) {
    expect(titles).toContain(topic);
  }
});
