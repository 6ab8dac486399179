import { GraylaneError, type ReportV1, type ReportV2 } from '@graylane/contracts';
import { isServerError } from '../clickhouse-errors.js';
import type { DecodedBatch } from '../ingest/decode-batch.js';
import type { ClickHouseClient } from './clickhouse.js';
import { poolBucketsSql, poolCountsSql, rolloutWindow, seriesBucketsSql, seriesCountsSql } from './report-sql.js';
import { buildReport, type PoolBucketRow, type PoolCountRow } from './report.js';
import { buildSeries, type SeriesBucketRow, type SeriesCountRow, type SeriesV1 } from './series.js';
import { rowsOfDecodedBatches } from './rows.js';
import { poolsOfRows, type WindowPool } from './window-pools.js';

/** What one {@link MetricsStore.insertBatches} wrote. */
export interface InsertResult {
  seriesRows: number;
  bucketRows: number;
}

export type { WindowPool } from './window-pools.js';

/** Where reports come from; the HTTP route and the NATS responder depend only on this. */
export interface ReportSource {
  report(name: string, sinceSeconds: number): Promise<ReportV2>;
}

/** The analytics tables in one ClickHouse database; see `migrations.ts` for their schema. */
/** Where the dashboard's charts come from. */
export interface SeriesSource {
  series(name: string, sinceSeconds: number, stepSeconds: number): Promise<SeriesV1>;
}

export class MetricsStore implements ReportSource, SeriesSource {
  private readonly client: ClickHouseClient;
  private readonly database: string;
  private readonly now: () => Date;

  constructor(client: ClickHouseClient, database: string, now: () => Date = () => new Date()) {
    this.client = client;
    this.database = database;
    this.now = now;
  }

  /**
   * Writes the rows of many batches in two inserts. Safe to repeat after a failure, even a
   * partial one: rows of a batch written twice collapse into one.
   *
   * Buckets go first: readers (reports, guardrails, anyone waiting for the request count to be
   * complete) take the counts as the truth of what arrived, so once a batch's counts are
   * visible its latencies must be too. The other order let a report taken during a backlog
   * show every request with the P99 of only part of them (seen end to end: 175 ms for 1 050).
   */
  async insertBatches(batches: readonly DecodedBatch[]): Promise<InsertResult> {
    const { counts, buckets } = rowsOfDecodedBatches(batches);
    if (buckets.length > 0) {
      await this.client.insert({ table: `${this.database}.latency_buckets`, values: buckets, format: 'JSONEachRow' });
    }
    if (counts.length > 0) {
      await this.client.insert({ table: `${this.database}.request_counts`, values: counts, format: 'JSONEachRow' });
    }
    return { seriesRows: counts.length, bucketRows: buckets.length };
  }

  /**
   * Requests, errors and latency quantiles per pool of rollout `name` over the last
   * `sinceSeconds`. A rollout without traffic in the window gets an empty `pools`.
   * Throws GRAYLANE_UNAVAILABLE when ClickHouse does not answer, GRAYLANE_INTERNAL when it
   * answers with an error.
   */
  async report(name: string, sinceSeconds: number): Promise<ReportV1> {
    const generatedAt = this.now();
    const from = Math.floor(generatedAt.getTime() / 1000) - sinceSeconds;
    const where = rolloutWindow(name, from);
    try {
      const { counts, buckets } = await this.poolRows(where);
      return buildReport(name, sinceSeconds, generatedAt, counts, buckets);
    } catch (error) {
      throw storeError(error, `the report query for "${name}"`);
    }
  }

  /**
   * Requests, errors and quantiles per pool of rollout `name` over the last `sinceSeconds`, in
   * buckets of `stepSeconds` aligned on multiples of the step (Unix time): two polls a second
   * apart cut the same buckets, so a finished bucket never changes on the chart. The first
   * bucket starts at or before `now - sinceSeconds`; when that is already aligned (one bucket as
   * wide as the window, at the right time) its figures are the report's. Throws like `report`.
   */
  async series(name: string, sinceSeconds: number, stepSeconds: number): Promise<SeriesV1> {
    const generatedAt = this.now();
    const nowSeconds = Math.floor(generatedAt.getTime() / 1000);
    const from = Math.floor((nowSeconds - sinceSeconds) / stepSeconds) * stepSeconds;
    try {
      const [countRows, bucketRows] = await Promise.all([
        this.json(seriesCountsSql(this.database, name, from, stepSeconds)),
        this.json(seriesBucketsSql(this.database, name, from, stepSeconds)),
      ]);
      const counts = countRows.map(
        (row): SeriesCountRow => ({ pool: String(row.pool), slot: Number(row.slot), requests: Number(row.total_requests), errors: Number(row.error_requests) }),
      );
      const buckets = bucketRows.map(
        (row): SeriesBucketRow => ({ pool: String(row.pool), slot: Number(row.slot), bucket: Number(row.bucket), count: Number(row.bucket_count) }),
      );
      return buildSeries(name, sinceSeconds, stepSeconds, from, nowSeconds, generatedAt, counts, buckets);
    } catch (error) {
      throw storeError(error, `the series query for "${name}"`);
    }
  }

  /**
   * Requests, errors and summed latency buckets per (pool, version) of rollout `name` whose proxy
   * batch windows started in [startMs, endMs) — what the guardrails judge. Throws like `report`.
   */
  async windowPools(name: string, startMs: number, endMs: number): Promise<WindowPool[]> {
    const where = rolloutWindow(name, Math.floor(startMs / 1000), Math.floor(endMs / 1000));
    try {
      const { counts, buckets } = await this.poolRows(where);
      return poolsOfRows(counts, buckets);
    } catch (error) {
      throw storeError(error, `the guardrail query for "${name}"`);
    }
  }

  /** True when ClickHouse answers a ping. */
  async ping(): Promise<boolean> {
    const result = await this.client.ping();
    return result.success;
  }

  /** Counts and bucket sums per (pool, version) over the rows `where` selects, in both tables. */
  private async poolRows(where: string): Promise<{ counts: PoolCountRow[]; buckets: PoolBucketRow[] }> {
    const [countRows, bucketRows] = await Promise.all([
      this.json(poolCountsSql(this.database, where)),
      this.json(poolBucketsSql(this.database, where)),
    ]);
    // UInt64 sums arrive as JSON strings.
    const counts = countRows.map(
      (row): PoolCountRow => ({
        pool: String(row.pool),
        version: String(row.version),
        requests: Number(row.total_requests),
        errors: Number(row.error_requests),
      }),
    );
    const buckets = bucketRows.map(
      (row): PoolBucketRow => ({
        pool: String(row.pool),
        version: String(row.version),
        bucket: Number(row.bucket),
        count: Number(row.bucket_count),
      }),
    );
    return { counts, buckets };
  }

  private async json(query: string): Promise<Record<string, unknown>[]> {
    const result = await this.client.query({ query, format: 'JSONEachRow' });
    return result.json<Record<string, unknown>>();
  }
}

/** An answer with an error is a defect or a missing migration; no answer is an outage. */
export function storeError(error: unknown, what: string): GraylaneError {
  if (isServerError(error)) {
    return new GraylaneError('GRAYLANE_INTERNAL', `ClickHouse refused ${what}: ${messageOf(error)}`, { cause: error });
  }
  return new GraylaneError('GRAYLANE_UNAVAILABLE', `ClickHouse did not answer ${what}: ${messageOf(error)}`, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
