import type { MetricBatchV1, MetricSeriesV1 } from '@graylane/contracts';
import { bucketValueUs, LatencyHistogram } from '@graylane/histogram';

/** One row of `request_counts`: requests of one series of one batch. */
export interface RequestCountRow {
  ts: number;
  minute: number;
  rollout: string;
  pool: string;
  version: string;
  region: string;
  status_class: string;
  batch_id: string;
  proxy_id: string;
  config_version: number;
  requests: number;
}

/** One row of `latency_buckets`: requests of one series of one batch in one histogram bucket. */
export interface LatencyBucketRow {
  ts: number;
  minute: number;
  rollout: string;
  pool: string;
  version: string;
  region: string;
  status_class: string;
  batch_id: string;
  bucket: number;
  value_us: number;
  count: number;
}

/** The rows of many batches, ready for two JSONEachRow inserts. */
export interface BatchRows {
  counts: RequestCountRow[];
  buckets: LatencyBucketRow[];
}

interface MergedSeries {
  series: MetricSeriesV1;
  requests: number;
  buckets: Map<number, number>;
}

/**
 * Maps batches to table rows (DateTime columns as Unix seconds). A batch id seen twice is written
 * once, and series of one batch with the same key are summed into one row, because the tables
 * keep one row per key and would otherwise drop all but one of them.
 * Throws the histogram's decode error on a corrupt histogram; the consumer rejects those first.
 */
export function rowsOfBatches(batches: readonly MetricBatchV1[]): BatchRows {
  const counts: RequestCountRow[] = [];
  const buckets: LatencyBucketRow[] = [];
  const seen = new Set<string>();
  for (const batch of batches) {
    if (seen.has(batch.batchId)) continue;
    seen.add(batch.batchId);
    const ts = Math.floor(batch.windowStartMs / 1000);
    const minute = ts - (ts % 60);
    for (const merged of mergeSeries(batch.series)) {
      const key = {
        ts,
        minute,
        rollout: merged.series.rollout,
        pool: merged.series.pool,
        version: merged.series.version,
        region: merged.series.region,
        status_class: merged.series.statusClass,
        batch_id: batch.batchId,
      };
      counts.push({ ...key, proxy_id: batch.proxyId, config_version: batch.configVersion, requests: merged.requests });
      for (const [bucket, count] of [...merged.buckets].sort((a, b) => a[0] - b[0])) {
        buckets.push({ ...key, bucket, value_us: Math.round(bucketValueUs(bucket)), count });
      }
    }
  }
  return { counts, buckets };
}

function mergeSeries(series: readonly MetricSeriesV1[]): MergedSeries[] {
  const byKey = new Map<string, MergedSeries>();
  for (const one of series) {
    const key = JSON.stringify([one.rollout, one.pool, one.version, one.region, one.statusClass]);
    let merged = byKey.get(key);
    if (merged === undefined) {
      merged = { series: one, requests: 0, buckets: new Map() };
      byKey.set(key, merged);
    }
    merged.requests += one.count;
    for (const [bucket, count] of LatencyHistogram.decode(one.latency).entries()) {
      merged.buckets.set(bucket, (merged.buckets.get(bucket) ?? 0) + count);
    }
  }
  return [...byKey.values()];
}
