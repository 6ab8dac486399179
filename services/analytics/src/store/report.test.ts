import { bucketIndexOf, LatencyHistogram, MAX_RELATIVE_ERROR } from '@graylane/histogram';
import { describe, expect, it } from 'vitest';
import { buildReport, type PoolBucketRow } from './report.js';

const AT = new Date('2025-11-26T12:00:00.000Z');

function bucketRows(pool: string, version: string, latenciesUs: number[]): PoolBucketRow[] {
  const histogram = new LatencyHistogram();
  for (const value of latenciesUs) histogram.record(value);
  return histogram.entries().map(([bucket, count]) => ({ pool, version, bucket, count }));
}

describe('buildReport', () => {
  it('gives requests, errors, error rate and quantiles in ms per pool, stable first', () => {
    // 1..1000 ms: the q-quantile is q·1000 ms.
    const latencies = Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000);
    const report = buildReport(
      'checkout',
      900,
      AT,
      [
        { pool: 'canary', version: 'v2', requests: 1000, errors: 30 },
        { pool: 'stable', version: 'v1', requests: 4000, errors: 4 },
      ],
      [...bucketRows('canary', 'v2', latencies), ...bucketRows('stable', 'v1', [2_000, 2_000, 2_000, 2_000])],
    );
    expect(report).toMatchObject({ name: 'checkout', sinceSeconds: 900, generatedAt: '2025-11-26T12:00:00.000Z' });
    expect(report.pools.map((pool) => [pool.pool, pool.version, pool.requests, pool.errors, pool.errorRate])).toEqual([
      ['stable', 'v1', 4000, 4, 0.001],
      ['canary', 'v2', 1000, 30, 0.03],
    ]);
    const canary = report.pools[1]!;
    for (const [actual, expected] of [
      [canary.p50Ms, 500],
      [canary.p95Ms, 950],
      [canary.p99Ms, 990],
      [canary.p999Ms, 999],
    ] as const) {
      expect(Math.abs(actual - expected) / expected).toBeLessThanOrEqual(MAX_RELATIVE_ERROR);
    }
    expect(report.pools[0]!.p99Ms).toBeCloseTo(2, 1);
  });

  it('sums bucket rows that repeat an index', () => {
    const index = bucketIndexOf(10_000);
    const report = buildReport('r', 60, AT, [{ pool: 'stable', version: 'v1', requests: 2, errors: 0 }], [
      { pool: 'stable', version: 'v1', bucket: index, count: 1 },
      { pool: 'stable', version: 'v1', bucket: bucketIndexOf(50_000), count: 1 },
      { pool: 'stable', version: 'v1', bucket: index, count: 2 },
    ]);
    expect(report.pools[0]!.p50Ms).toBeCloseTo(10, 0);
  });

  it('shows each version of a pool that served traffic in the window', () => {
    const report = buildReport('r', 60, AT, [
      { pool: 'canary', version: 'v3', requests: 1, errors: 0 },
      { pool: 'canary', version: 'v2', requests: 1, errors: 1 },
    ], []);
    expect(report.pools.map((pool) => pool.version)).toEqual(['v2', 'v3']);
    expect(report.pools[0]).toMatchObject({ errorRate: 1, p99Ms: 0 });
  });

  it('is empty when nothing was recorded', () => {
    expect(buildReport('nothing', 60, AT, [], []).pools).toEqual([]);
  });
});
