import type { PoolBucketRow, PoolCountRow } from './report.js';
import type { BatchRows } from './rows.js';

/** Traffic of one (pool, version) in a guardrail window. */
export interface WindowPool {
  pool: string;
  version: string;
  requests: number;
  errors: number;
  /** `[bucket, count]` ascending. */
  buckets: [number, number][];
}

/** Status classes that count as errors, in the window query's `sumIf` too. */
export const ERROR_STATUS_CLASSES: ReadonlySet<string> = new Set(['5xx', 'err']);

/**
 * The window query's result rows (sums per pool and version, and per pool, version and bucket,
 * buckets ascending) as one {@link WindowPool} per (pool, version). The store uses it on what
 * ClickHouse returns; the judge bench on {@link windowRowsOfBatchRows}.
 */
export function poolsOfRows(counts: readonly PoolCountRow[], buckets: readonly PoolBucketRow[]): WindowPool[] {
  const pools = new Map<string, WindowPool>();
  for (const row of counts) pools.set(`${row.pool}\u0000${row.version}`, { ...row, buckets: [] });
  for (const row of buckets) pools.get(`${row.pool}\u0000${row.version}`)?.buckets.push([row.bucket, row.count]);
  return [...pools.values()];
}

/**
 * What the window query computes, in memory, from rows as `rowsOfBatches` makes them: rows of
 * `rollout` with `ts` in [startMs, endMs) (whole seconds, as `toDateTime` truncates), summed per
 * (pool, version), errors with `sumIf(status_class IN ('5xx', 'err'))`, buckets per (pool,
 * version, bucket) ordered as the query orders them. For simulations that must judge windows
 * exactly as the service does without a ClickHouse; metrics-store.int.test.ts checks the two agree.
 */
export function windowRowsOfBatchRows(
  rows: BatchRows,
  rollout: string,
  startMs: number,
  endMs: number,
): { counts: PoolCountRow[]; buckets: PoolBucketRow[] } {
  const from = Math.floor(startMs / 1000);
  const to = Math.floor(endMs / 1000);
  const counts = new Map<string, PoolCountRow>();
  for (const row of rows.counts) {
    if (row.rollout !== rollout || row.ts < from || row.ts >= to) continue;
    const key = `${row.pool}\u0000${row.version}`;
    const sum = counts.get(key) ?? { pool: row.pool, version: row.version, requests: 0, errors: 0 };
    sum.requests += row.requests;
    if (ERROR_STATUS_CLASSES.has(row.status_class)) sum.errors += row.requests;
    counts.set(key, sum);
  }
  // Nested maps rather than one joined string key: this runs for every bucket row of a window.
  const buckets = new Map<string, Map<string, Map<number, PoolBucketRow>>>();
  for (const row of rows.buckets) {
    if (row.rollout !== rollout || row.ts < from || row.ts >= to) continue;
    let byVersion = buckets.get(row.pool);
    if (byVersion === undefined) buckets.set(row.pool, (byVersion = new Map<string, Map<number, PoolBucketRow>>()));
    let byBucket = byVersion.get(row.version);
    if (byBucket === undefined) byVersion.set(row.version, (byBucket = new Map<number, PoolBucketRow>()));
    const sum = byBucket?.get(row.bucket);
    if (sum === undefined) byBucket?.set(row.bucket, { pool: row.pool, version: row.version, bucket: row.bucket, count: row.count });
    else sum.count += row.count;
  }
  const ordered: PoolBucketRow[] = [];
  for (const pool of [...buckets.keys()].sort(cmp)) {
    const byVersion = buckets.get(pool);
    for (const version of [...(byVersion?.keys() ?? [])].sort(cmp)) {
      ordered.push(...[...(byVersion?.get(version)?.values() ?? [])].sort((a, b) => a.bucket - b.bucket));
    }
  }
  return { counts: [...counts.values()], buckets: ordered };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
