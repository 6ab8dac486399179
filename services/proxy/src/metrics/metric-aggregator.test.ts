import { describe, expect, it } from 'vitest';
import { MetricAggregator, statusClassOf } from './metric-aggregator.js';

describe('MetricAggregator', () => {
  it('counts per rollout, pool and status class, and starts a fresh window on drain', () => {
    const metrics = new MetricAggregator();
    metrics.record('checkout', 'stable', 'v1', '2xx', 1000);
    metrics.record('checkout', 'stable', 'v1', '2xx', 2000);
    metrics.record('checkout', 'canary', 'v2', '5xx', 3000);
    const series = metrics.drain();
    expect(series.map((s) => [s.pool, s.statusClass, s.count])).toEqual([
      ['stable', '2xx', 2],
      ['canary', '5xx', 1],
    ]);
    expect(metrics.drain()).toEqual([]);
  });

  it('keeps regions apart in their own series', () => {
    const metrics = new MetricAggregator();
    metrics.record('checkout', 'canary', 'v2', '2xx', 1000, 'beijing');
    metrics.record('checkout', 'canary', 'v2', '2xx', 1000, 'shanghai');
    metrics.record('checkout', 'canary', 'v2', '2xx', 1000, 'beijing');
    metrics.record('checkout', 'canary', 'v2', '2xx', 1000);
    expect(metrics.drain().map((s) => [s.region, s.count])).toEqual([
      ['beijing', 2],
      ['shanghai', 1],
      ['', 1],
    ]);
  });

  it.each([
    [200, '2xx'],
    [304, '3xx'],
    [404, '4xx'],
    [503, '5xx'],
    [undefined, 'err'],
    [99, 'err'],
  ] as const)('status %s is %s', (status, expected) => {
    expect(statusClassOf(status)).toBe(expected);
  });
});
