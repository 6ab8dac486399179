// The chart series against a real ClickHouse (18.16 here): per-bucket figures must be what the
// guardrails' window query gives for the same seconds, and one bucket as wide as the window must
// be the report, so a chart never disagrees with the tables beside it.
import { quantileFromEntries } from '@graylane/histogram';
import { createLogger } from '@graylane/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodedBatchOf } from '../ingest/decode-batch.js';
import { batch, evenly, series } from '../test-support/metric-batches.js';
import type { ClickHouseClient } from './clickhouse.js';
import { MetricsStore } from './metrics-store.js';
import { startMigratedClickHouse, type MigratedClickHouse } from '../test-support/schema.js';

const logger = createLogger('analytics-test', 'silent');
const DATABASE = 'analytics_series_test';
// A fixed "now" on a multiple of the window, so that the report and the aligned series buckets
// cut the same seconds.
const NOW_S = Math.floor(Date.now() / 120_000) * 120;
const SINCE = 120;

let clickhouse: MigratedClickHouse | undefined;
let client: ClickHouseClient;
let store: MetricsStore;

beforeAll(async () => {
  clickhouse = await startMigratedClickHouse(DATABASE, logger);
  client = clickhouse.client;
  store = new MetricsStore(client, DATABASE, () => new Date(NOW_S * 1000 + 400));
  // 110 seconds of traffic from two proxies: stable 5-20 ms, canary getting slower with time,
  // and canary errors every 7th second. Plus traffic older than the window, which must not show.
  const batches = [];
  for (let age = 110; age >= 1; age -= 1) {
    const slow = 1 + (110 - age) / 20;
    for (const proxyId of ['proxy-a', 'proxy-b']) {
      batches.push(
        batch(age, [
          series({ rollout: 'charted', pool: 'stable', latenciesUs: evenly(20, 5_000, 20_000) }),
          series({ rollout: 'charted', pool: 'canary', latenciesUs: evenly(10, 5_000 * slow, 40_000 * slow) }),
          ...(age % 7 === 0 ? [series({ rollout: 'charted', pool: 'canary', statusClass: '5xx', latenciesUs: [1_000, 2_000] })] : []),
        ], { proxyId, windowStartMs: (NOW_S - age) * 1000 }),
      );
    }
  }
  batches.push(batch(999, [series({ rollout: 'charted', latenciesUs: evenly(50, 900_000, 990_000) })], { proxyId: 'proxy-old', windowStartMs: (NOW_S - SINCE - 30) * 1000 }));
  await store.insertBatches(batches.map(decodedBatchOf));
});

afterAll(async () => {
  await clickhouse?.stop();
});

describe('MetricsStore.series', () => {
  it('gives per-bucket requests, errors and quantiles equal to the window query over the same seconds', async () => {
    const step = 10;
    const got = await store.series('charted', SINCE, step);
    const from = NOW_S - SINCE;
    expect(got.times).toEqual(Array.from({ length: SINCE / step + 1 }, (_, i) => from + i * step));
    expect(got.pools.map((p) => p.pool)).toEqual(['stable', 'canary']);
    let compared = 0;
    for (const [i, start] of got.times.entries()) {
      const pools = await store.windowPools('charted', start * 1000, (start + step) * 1000);
      for (const pool of got.pools) {
        const expected = pools.find((p) => p.pool === pool.pool);
        expect(pool.requests[i]).toBe(expected?.requests ?? 0);
        expect(pool.errors[i]).toBe(expected?.errors ?? 0);
        expect(pool.rps[i]).toBe((expected?.requests ?? 0) / step);
        if (expected === undefined) {
          expect(pool.p99Ms[i]).toBeNull();
          continue;
        }
        const sorted = [...expected.buckets].sort((a, b) => a[0] - b[0]);
        expect(pool.p99Ms[i]).toBe(Math.round(quantileFromEntries(sorted, 0.99)) / 1000);
        expect(pool.p50Ms[i]).toBe(Math.round(quantileFromEntries(sorted, 0.5)) / 1000);
        compared += 1;
      }
    }
    // 110 s of traffic in 10 s buckets: both pools in at least 11 buckets.
    expect(compared).toBeGreaterThanOrEqual(22);
    // The canary slows down over the window, and the chart shows it.
    const canaryP99 = got.pools[1]!.p99Ms.filter((v): v is number => v !== null);
    expect(canaryP99.at(-1)!).toBeGreaterThan(canaryP99[0]! * 4);
    expect(got.pools[1]!.errors.reduce((a, b) => a + b, 0)).toBe(15 * 2 * 2);
  });

  it('is the report when one bucket spans the window', async () => {
    const [got, report] = await Promise.all([store.series('charted', SINCE, SINCE), store.report('charted', SINCE)]);
    for (const side of report.pools) {
      const pool = got.pools.find((p) => p.pool === side.pool)!;
      expect([pool.requests[0], pool.errors[0], pool.p50Ms[0], pool.p95Ms[0], pool.p99Ms[0]]).toEqual([side.requests, side.errors, side.p50Ms, side.p95Ms, side.p99Ms]);
    }
    expect(report.pools).toHaveLength(2);
  });

  it('gives no pools for a rollout without traffic, and keeps quoted names apart', async () => {
    expect((await store.series("char'ted", SINCE, 10)).pools).toEqual([]);
  });
});
