import type { MetricBatchV1, MetricSeriesV1 } from '@graylane/contracts';
import { BUCKET_COUNT, bucketValueUs, LatencyHistogram } from '@graylane/histogram';
import { decodedBatchOf, type DecodedBatch } from '../ingest/decode-batch.js';

/** The columns both metric tables key a series of one batch by. */
interface SeriesColumns {
  ts: number;
  minute: number;
  rollout: string;
  pool: string;
  version: string;
  region: string;
  status_class: string;
  batch_id: string;
}

/** One row of `request_counts`: requests of one series of one batch. */
export interface RequestCountRow extends SeriesColumns {
  proxy_id: string;
  config_version: number;
  requests: number;
}

/** One row of `latency_buckets`: requests of one series of one batch in one histogram bucket. */
export interface LatencyBucketRow extends SeriesColumns {
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
  /** Non-empty buckets as [index, count], ascending. */
  entries: ReadonlyArray<readonly [number, number]>;
}

// Looked up once per bucket row: hundreds of thousands per insert at full load.
const VALUE_US: readonly number[] = Array.from({ length: BUCKET_COUNT }, (_, index) => Math.round(bucketValueUs(index)));

/**
 * Maps decoded batches to table rows (DateTime columns as Unix seconds), reading each series'
 * buckets from the histogram decoded where the batch entered. A batch id seen twice is written
 * once, and series of one batch with the same key are summed into one row, because the tables
 * keep one row per key and would otherwise drop all but one of them.
 * Rows are built as literal objects (no spreads): this is the ingest's hottest loop.
 */
export function rowsOfDecodedBatches(batches: readonly DecodedBatch[]): BatchRows {
  const counts: RequestCountRow[] = [];
  const buckets: LatencyBucketRow[] = [];
  const seen = new Set<string>();
  for (const { batch, histograms } of batches) {
    if (seen.has(batch.batchId)) continue;
    seen.add(batch.batchId);
    const ts = Math.floor(batch.windowStartMs / 1000);
    const minute = ts - (ts % 60);
    const batchId = batch.batchId;
    for (const { series, requests, entries } of mergeSeries(batch, histograms)) {
      counts.push({
        ts,
        minute,
        rollout: series.rollout,
        pool: series.pool,
        version: series.version,
        region: series.region,
        status_class: series.statusClass,
        batch_id: batchId,
        proxy_id: batch.proxyId,
        config_version: batch.configVersion,
        requests,
      });
      for (const [bucket, count] of entries) {
        buckets.push({
          ts,
          minute,
          rollout: series.rollout,
          pool: series.pool,
          version: series.version,
          region: series.region,
          status_class: series.statusClass,
          batch_id: batchId,
          bucket,
          value_us: VALUE_US[bucket] ?? 0,
          count,
        });
      }
    }
  }
  return { counts, buckets };
}

/**
 * The rows of batches built in this process (tests, the judge bench), each histogram decoded
 * once on the way, as the consumer decodes a message's. Throws the histogram's decode error on
 * a corrupt histogram rather than writing wrong buckets.
 */
export function rowsOfBatches(batches: readonly MetricBatchV1[]): BatchRows {
  return rowsOfDecodedBatches(batches.map(decodedBatchOf));
}

function mergeSeries(batch: MetricBatchV1, histograms: DecodedBatch['histograms']): MergedSeries[] {
  const byKey = new Map<string, MergedSeries>();
  for (const [index, one] of batch.series.entries()) {
    const key = `${one.rollout}\u0000${one.pool}\u0000${one.version}\u0000${one.region}\u0000${one.statusClass}`;
    const entries = histograms[index];
    if (entries === undefined) throw new RangeError(`batch ${batch.batchId}: series ${index} has no decoded histogram`);
    const merged = byKey.get(key);
    if (merged === undefined) {
      byKey.set(key, { series: one, requests: one.count, entries });
      continue;
    }
    merged.requests += one.count;
    merged.entries = LatencyHistogram.fromEntries([...merged.entries, ...entries]).entries();
  }
  return [...byKey.values()];
}
