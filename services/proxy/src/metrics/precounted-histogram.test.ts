import { Registry } from 'prom-client';
import { parsePrometheusText } from '@graylane/testkit';
import { describe, expect, it } from 'vitest';
import { PrecountedHistogram, type CountedSeries } from './precounted-histogram.js';

describe('PrecountedHistogram', () => {
  const series: CountedSeries[] = [
    { labels: { pool: 'v1' }, buckets: [2, 0, 3, 1], sum: 4.5, count: 6 },
    { labels: { pool: 'v"2' }, buckets: [0, 0, 0, 0], sum: 0, count: 0 },
  ];
  const registry = new Registry();
  new PrecountedHistogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['pool'], buckets: [0.1, 1, 10], registry, read: () => series });

  it('exposes the counts it reads as a cumulative histogram family', async () => {
    const text = await registry.metrics();
    expect(text).toContain('# TYPE latency_seconds histogram\n');
    expect(text).toContain('latency_seconds_bucket{pool="v1",le="0.1"} 2\n');
    expect(text).toContain('latency_seconds_bucket{pool="v1",le="10"} 5\n');
    expect(text).toContain('latency_seconds_bucket{pool="v1",le="+Inf"} 6\n');
    expect(text).toContain('latency_seconds_sum{pool="v1"} 4.5\n');
    expect(text).toContain('latency_seconds_count{pool="v\\"2"} 0\n');
    expect(parsePrometheusText(text).get('latency_seconds')?.samples).toHaveLength(12);
  });

  it('reads the counts again at every scrape, and serves prom-client\'s JSON too', async () => {
    series[0] = { labels: { pool: 'v1' }, buckets: [3, 0, 3, 1], sum: 4.6, count: 7 };
    expect(await registry.metrics()).toContain('latency_seconds_bucket{pool="v1",le="+Inf"} 7\n');
    const [json] = await registry.getMetricsAsJSON();
    expect(json?.values).toContainEqual(expect.objectContaining({ metricName: 'latency_seconds_count', labels: { pool: 'v1' }, value: 7 }));
  });
});
