import { quantileMs } from '../latency-ms.js';

/** Per-pool figures over time, one array entry per bucket: the shape uPlot draws directly. */
export interface PoolSeries {
  pool: 'stable' | 'canary';
  requests: number[];
  errors: number[];
  /** Requests per second over the bucket. */
  rps: number[];
  /** Errors / requests, or null in a bucket without requests. */
  errorRate: (number | null)[];
  /** Milliseconds, or null in a bucket without requests (no traffic is not a latency of 0). */
  p50Ms: (number | null)[];
  p95Ms: (number | null)[];
  p99Ms: (number | null)[];
}

/** The body of `GET /api/v1/series/:name`. */
export interface SeriesV1 {
  rollout: string;
  sinceSeconds: number;
  stepSeconds: number;
  generatedAt: string;
  /** Unix seconds at which each bucket starts; bucket i covers [times[i], times[i] + step). */
  times: number[];
  /** Stable then canary; a pool without traffic in the window is left out. */
  pools: PoolSeries[];
}

/** Requests and errors of one pool in one bucket, as ClickHouse sums them. */
export interface SeriesCountRow {
  pool: string;
  slot: number;
  requests: number;
  errors: number;
}

/** Requests of one pool in one bucket and one histogram bucket. */
export interface SeriesBucketRow {
  pool: string;
  slot: number;
  bucket: number;
  count: number;
}

/** Buckets a window is cut into when the caller names no step: enough for a smooth line. */
export const DEFAULT_SERIES_POINTS = 60;
/** More buckets than this is more points than a chart is wide. */
export const MAX_SERIES_POINTS = 1_000;

/** The bucket width for `sinceSeconds` split into about {@link DEFAULT_SERIES_POINTS} buckets. */
export function defaultStepSeconds(sinceSeconds: number): number {
  return Math.max(1, Math.ceil(sinceSeconds / DEFAULT_SERIES_POINTS));
}

/** How many buckets of `step` starting at `from` reach `now` inclusive (rows stamped `now` land in the last). */
export function slotCount(fromSeconds: number, nowSeconds: number, stepSeconds: number): number {
  return Math.floor((nowSeconds - fromSeconds) / stepSeconds) + 1;
}

/** The most buckets a window of `sinceSeconds` can have, whatever its alignment. */
export function maxSlotCount(sinceSeconds: number, stepSeconds: number): number {
  return Math.floor(sinceSeconds / stepSeconds) + 2;
}

/**
 * The series from rows already summed per (pool, slot) and (pool, slot, bucket); slot i starts at
 * `fromSeconds + i * stepSeconds`, the last one holding `nowSeconds`. Versions of a pool are merged: a chart line is a pool. The
 * quantiles come from the summed histogram buckets, as the report's do, so a bucket covering the
 * report's whole window shows the report's figures.
 */
export function buildSeries(
  rollout: string,
  sinceSeconds: number,
  stepSeconds: number,
  fromSeconds: number,
  nowSeconds: number,
  generatedAt: Date,
  counts: readonly SeriesCountRow[],
  buckets: readonly SeriesBucketRow[],
): SeriesV1 {
  const slots = slotCount(fromSeconds, nowSeconds, stepSeconds);
  const times = Array.from({ length: slots }, (_, i) => fromSeconds + i * stepSeconds);
  const pools: PoolSeries[] = [];
  for (const pool of ['stable', 'canary'] as const) {
    const own = counts.filter((row) => row.pool === pool && row.slot >= 0 && row.slot < slots);
    if (own.length === 0) continue;
    const requests = new Array<number>(slots).fill(0);
    const errors = new Array<number>(slots).fill(0);
    for (const row of own) {
      requests[row.slot] = (requests[row.slot] ?? 0) + row.requests;
      errors[row.slot] = (errors[row.slot] ?? 0) + row.errors;
    }
    const entries: [number, number][][] = Array.from({ length: slots }, () => []);
    for (const row of buckets) if (row.pool === pool && row.slot >= 0 && row.slot < slots) entries[row.slot]?.push([row.bucket, row.count]);
    const quantile = (q: number) =>
      entries.map((slot, i) => {
        if ((requests[i] ?? 0) === 0 || slot.length === 0) return null;
        slot.sort((a, b) => a[0] - b[0]);
        return quantileMs(slot, q);
      });
    pools.push({
      pool,
      requests,
      errors,
      rps: requests.map((n) => n / stepSeconds),
      errorRate: requests.map((n, i) => (n === 0 ? null : (errors[i] ?? 0) / n)),
      p50Ms: quantile(0.5),
      p95Ms: quantile(0.95),
      p99Ms: quantile(0.99),
    });
  }
  return { rollout, sinceSeconds, stepSeconds, generatedAt: generatedAt.toISOString(), times, pools };
}
