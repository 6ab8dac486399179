import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { documentedMetrics, metricNamesInPromQL } from '@graylane/testkit';

// The services' own tests check that docs/metrics.md lists exactly what each one exposes; this one
// checks the dashboard against that table, so it queries nothing that no service exposes.
const DASHBOARD = new URL('../../infra/grafana/graylane.json', import.meta.url);

/** Every PromQL expression in the dashboard: panel targets, annotations and template variable queries. */
function expressions(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) expressions(item, found);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'expr' || key === 'query' || key === 'definition') && typeof value === 'string' && value.includes('graylane_')) found.push(value);
      else expressions(value, found);
    }
  }
  return found;
}

/** `metric{label="…", …}` selectors in `expr`: the metric and the label names it matches on. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/(graylane_[a-z0-9_]+)\{([^}]*)\}/g)].map((match) => ({
    metric: match[1] as string,
    labels: [...(match[2] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((label) => label[1] as string),
  }));
}

describe('infra/grafana/graylane.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { type: string; targets?: { expr: string }[] }[] };
  const documented = documentedMetrics();
  const byName = new Map(documented.map((row) => [row.name, row]));
  const histograms = new Set(documented.filter((row) => row.type === 'histogram').map((row) => row.name));
  const all = expressions(dashboard);

  it('queries only metric names docs/metrics.md lists, every panel at least one', () => {
    expect(all.length).toBeGreaterThan(20);
    for (const panel of dashboard.panels) {
      if (panel.type === 'row') continue;
      expect(panel.targets?.length ?? 0).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(metricNamesInPromQL(target.expr, ['graylane_'], histograms).length, target.expr).toBeGreaterThan(0);
    }
    const unknown = all.flatMap((expr) => metricNamesInPromQL(expr, ['graylane_'], histograms).filter((name) => !byName.has(name)).map((name) => `${name} in ${expr}`));
    expect(unknown).toEqual([]);
  });

  it('uses a histogram\'s _bucket series only for histograms, and matches only on documented labels', () => {
    const problems: string[] = [];
    for (const expr of all) {
      for (const name of expr.match(/graylane_[a-z0-9_]+_bucket\b/g) ?? []) {
        if (!histograms.has(name.replace(/_bucket$/, ''))) problems.push(`${name} is not a histogram's bucket: ${expr}`);
      }
      for (const { metric, labels } of selectors(expr)) {
        const row = byName.get(metric.replace(/_(bucket|sum|count)$/, '')) ?? byName.get(metric);
        for (const label of labels) if (!(row?.labels.includes(label) ?? false)) problems.push(`${metric} has no label ${label}: ${expr}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('covers what an operator watches during a canary', () => {
    const queried = new Set(all.flatMap((expr) => metricNamesInPromQL(expr, ['graylane_'], histograms)));
    for (const name of [
      'graylane_config_rollout_weight',
      'graylane_proxy_config_version',
      'graylane_proxy_requests_total',
      'graylane_proxy_request_duration_seconds',
      'graylane_proxy_metric_batches_dropped_total',
      'graylane_analytics_consumer_pending_messages',
      'graylane_analytics_verdicts_total',
    ]) {
      expect(queried.has(name), name).toBe(true);
    }
  });
});
