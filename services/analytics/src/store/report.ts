import type { PoolReportV1, PoolSide, ReportV1 } from '@graylane/contracts';
import { quantileMs } from '../latency-ms.js';

/** Requests and errors of one (pool, version) summed over the report window. */
export interface PoolCountRow {
  pool: string;
  version: string;
  requests: number;
  errors: number;
}

/** Requests of one (pool, version) in one histogram bucket, summed over the report window. */
export interface PoolBucketRow {
  pool: string;
  version: string;
  bucket: number;
  count: number;
}

const POOL_ORDER: Record<PoolSide, number> = { stable: 0, canary: 1 };

/**
 * A report from counts and bucket sums already added up in ClickHouse: one entry per (pool,
 * version) that served traffic in the window, stable first. A version change inside the window
 * shows as two entries of the same pool. Quantiles come from the summed buckets, so they carry
 * the histogram's relative error and not the error of averaging per-proxy quantiles.
 */
export function buildReport(
  name: string,
  sinceSeconds: number,
  generatedAt: Date,
  counts: readonly PoolCountRow[],
  buckets: readonly PoolBucketRow[],
): ReportV1 {
  const pools = new Map<string, { pool: PoolSide; version: string; requests: number; errors: number; entries: [number, number][] }>();
  const entry = (pool: string, version: string) => {
    if (pool !== 'stable' && pool !== 'canary') return undefined;
    const key = `${pool}\u0000${version}`;
    let found = pools.get(key);
    if (found === undefined) {
      found = { pool, version, requests: 0, errors: 0, entries: [] };
      pools.set(key, found);
    }
    return found;
  };
  for (const row of counts) {
    const found = entry(row.pool, row.version);
    if (found === undefined) continue;
    found.requests += row.requests;
    found.errors += row.errors;
  }
  for (const row of buckets) entry(row.pool, row.version)?.entries.push([row.bucket, row.count]);

  const reports: PoolReportV1[] = [...pools.values()]
    .sort((a, b) => POOL_ORDER[a.pool] - POOL_ORDER[b.pool] || a.version.localeCompare(b.version))
    .map(({ pool, version, requests, errors, entries }) => {
      entries.sort((a, b) => a[0] - b[0]);
      return {
        pool,
        version,
        requests,
        errors,
        errorRate: requests === 0 ? 0 : errors / requests,
        p50Ms: quantileMs(entries, 0.5),
        p95Ms: quantileMs(entries, 0.95),
        p99Ms: quantileMs(entries, 0.99),
        p999Ms: quantileMs(entries, 0.999),
      };
    });
  return { name, sinceSeconds, generatedAt: generatedAt.toISOString(), pools: reports };
}
