import { sqlInteger, sqlString } from './clickhouse.js';

/*
 * The SELECTs behind reports, guardrail windows and verdict lists, as plain text, so the
 * compatibility test runs exactly what the service sends on 18.16 and on a current release.
 */

/** Rows of rollout `name` whose batch window started at or after `fromSeconds` (and before `toSeconds`). */
export function rolloutWindow(name: string, fromSeconds: number, toSeconds?: number): string {
  const until = toSeconds === undefined ? '' : ` AND ts < toDateTime(${sqlInteger(toSeconds)})`;
  return `rollout = ${sqlString(name)} AND ts >= toDateTime(${sqlInteger(fromSeconds)})${until}`;
}

/** Requests and errors per (pool, version) of the rows `where` selects. */
export function poolCountsSql(database: string, where: string): string {
  return `SELECT pool, version, sum(requests) AS total_requests,
    sumIf(requests, status_class IN ('5xx', 'err')) AS error_requests
FROM ${database}.request_counts FINAL
WHERE ${where}
GROUP BY pool, version`;
}

/** Summed latency buckets per (pool, version) of the rows `where` selects. */
export function poolBucketsSql(database: string, where: string): string {
  return `SELECT pool, version, bucket, sum(count) AS bucket_count
FROM ${database}.latency_buckets FINAL
WHERE ${where}
GROUP BY pool, version, bucket
ORDER BY pool, version, bucket`;
}

/** The bodies of `rollout`'s verdicts whose window ended at or after `fromMs`, newest first. */
export function verdictsSql(database: string, rollout: string, fromMs: number, limit: number): string {
  return `SELECT body FROM ${database}.verdicts FINAL
WHERE rollout = ${sqlString(rollout)} AND window_end_ms >= ${sqlInteger(Math.max(0, Math.floor(fromMs)))}
ORDER BY window_end_ms DESC
LIMIT ${sqlInteger(limit)}`;
}

// toUInt32/intDiv: plain arithmetic that ClickHouse 18.16 runs as well as current releases.
function slotOf(fromSeconds: number, stepSeconds: number): string {
  return `intDiv(toUInt32(ts) - ${sqlInteger(fromSeconds)}, ${sqlInteger(stepSeconds)})`;
}

/** Requests and errors per (pool, slot) of rollout `name` since `fromSeconds`, slots of `stepSeconds` from there. */
export function seriesCountsSql(database: string, name: string, fromSeconds: number, stepSeconds: number): string {
  return `SELECT pool, ${slotOf(fromSeconds, stepSeconds)} AS slot, sum(requests) AS total_requests,
    sumIf(requests, status_class IN ('5xx', 'err')) AS error_requests
FROM ${database}.request_counts FINAL
WHERE ${rolloutWindow(name, fromSeconds)}
GROUP BY pool, slot`;
}

/** Summed latency buckets per (pool, slot) of rollout `name` since `fromSeconds`. */
export function seriesBucketsSql(database: string, name: string, fromSeconds: number, stepSeconds: number): string {
  return `SELECT pool, ${slotOf(fromSeconds, stepSeconds)} AS slot, bucket, sum(count) AS bucket_count
FROM ${database}.latency_buckets FINAL
WHERE ${rolloutWindow(name, fromSeconds)}
GROUP BY pool, slot, bucket`;
}
