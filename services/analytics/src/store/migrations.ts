import type { Logger } from '@graylane/runtime';
import type { ClickHouseClient } from './clickhouse.js';
import { sqlInteger, sqlString } from './clickhouse.js';

/**
 * One schema change. Its statements must be safe to run twice (`IF NOT EXISTS`), because a crash
 * between the last statement and the `schema_migrations` row reruns the whole migration.
 * Every statement must run on ClickHouse 18.16 and on current releases: MergeTree family engines
 * only, no TTL, no DateTime64, no Map, no LowCardinality (experimental on 18.16).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(database: string): string[];
  /**
   * Columns to add after the statements, each only if missing: 18.16 has no
   * `ADD COLUMN IF NOT EXISTS`, so applyMigrations looks in `system.columns` first.
   */
  readonly addColumns?: readonly AddedColumn[];
}

/** One `ALTER TABLE <table> ADD COLUMN <name> <definition>`. */
export interface AddedColumn {
  readonly table: string;
  readonly name: string;
  /** Type, DEFAULT and COMMENT, e.g. `String DEFAULT '' COMMENT 'why'`. */
  readonly definition: string;
}

/*
 * Both tables are ReplacingMergeTree keyed by everything that names one row of one batch, so a
 * batch inserted twice (JetStream redelivery after a lost ack, or a proxy re-publishing outside
 * the de-duplication window) collapses to one row; queries read them with FINAL. The key starts
 * with the rollout and the second so that a report reads one narrow range. Day partitions let an
 * operator drop old data with ALTER TABLE ... DROP PARTITION, as 18.16 has no TTL.
 */
const SERIES_COLUMNS = `
    ts DateTime('UTC') COMMENT 'start of the proxy batch window, whole second',
    minute DateTime('UTC') COMMENT 'ts truncated to the minute',
    rollout String,
    pool String COMMENT 'stable or canary',
    version String COMMENT 'pool name from the rollout spec, e.g. v2',
    region String COMMENT 'empty when the rollout has no regions',
    status_class String COMMENT '1xx..5xx, or err when the upstream gave no response',
    batch_id String COMMENT 'proxyId:seq of the MetricBatchV1',`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'request_counts and latency_buckets',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.request_counts (${SERIES_COLUMNS}
    proxy_id String,
    config_version UInt64 COMMENT 'routing table version the proxy applied',
    requests UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (rollout, ts, pool, version, region, status_class, batch_id)`,
      `CREATE TABLE IF NOT EXISTS ${db}.latency_buckets (${SERIES_COLUMNS}
    bucket UInt16 COMMENT 'histogram bucket index in the @graylane/histogram layout',
    value_us UInt32 COMMENT 'representative latency of the bucket in microseconds',
    count UInt64 COMMENT 'requests whose latency fell in the bucket'
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (rollout, ts, pool, version, region, status_class, batch_id, bucket)`,
    ],
  },
  {
    version: 2,
    name: 'verdicts and events',
    statements: (db) => [
      // One row per rollout and window: replicas judging the same window collapse into one.
      `CREATE TABLE IF NOT EXISTS ${db}.verdicts (
    rollout String,
    window_end_ms UInt64 COMMENT 'end of the judged window, Unix ms, aligned to the interval',
    window_start_ms UInt64,
    config_version UInt64,
    evaluated_at DateTime('UTC'),
    outcome String COMMENT 'pass, fail or inconclusive',
    action String COMMENT 'none or rollback',
    body String COMMENT 'the whole verdict as JSON'
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(evaluated_at)
ORDER BY (rollout, window_end_ms)`,
      // Audit copy of GRAYLANE_EVENTS; the stream sequence makes a redelivered event one row.
      `CREATE TABLE IF NOT EXISTS ${db}.events (
    at DateTime('UTC') COMMENT 'when the event was stored in the stream',
    stream_seq UInt64,
    subject String,
    schema String,
    event_id String COMMENT 'eventId of rollbacks, version of config changes',
    rollouts Array(String),
    body String COMMENT 'the event as JSON, as published'
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY stream_seq`,
    ],
  },
  {
    version: 3,
    name: 'verdict evidence of the sequential judge',
    statements: () => [],
    // Rows written before keep their V1 body and these defaults.
    addColumns: [
      { table: 'verdicts', name: 'schema', definition: `String DEFAULT 'graylane.verdict/v1' COMMENT 'schema of body'` },
      { table: 'verdicts', name: 'tests', definition: `String DEFAULT '' COMMENT 'TestEvidenceV1[] as JSON: test, statistic, p, e, threshold, effect'` },
      { table: 'verdicts', name: 'max_e_value', definition: `Float64 DEFAULT 0 COMMENT 'largest e-value of the tests'` },
      { table: 'verdicts', name: 'evidence_since_ms', definition: `UInt64 DEFAULT 0 COMMENT 'end of the first window in the evidence'` },
      { table: 'verdicts', name: 'evidence_windows', definition: `UInt32 DEFAULT 0 COMMENT 'windows the evidence holds'` },
    ],
  },
];

/**
 * Creates the database and applies, in order, each migration not yet recorded in
 * `schema_migrations`. Returns the versions applied now. Two replicas starting together may both
 * apply one; that is harmless, since statements are idempotent and the table collapses duplicates.
 */
export async function applyMigrations(
  client: ClickHouseClient,
  database: string,
  logger: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY version`,
  });
  const applied = new Set((await appliedVersions(client, database)).map(Number));
  const now: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    for (const query of migration.statements(database)) await client.command({ query });
    for (const column of migration.addColumns ?? []) await addColumnIfMissing(client, database, column);
    await client.command({
      query: `INSERT INTO ${database}.schema_migrations (version, name, applied_at) VALUES (${sqlInteger(
        migration.version,
      )}, ${sqlString(migration.name)}, now())`,
    });
    logger.info({ version: migration.version, name: migration.name }, 'applied ClickHouse migration');
    now.push(migration.version);
  }
  return now;
}

/** Versions recorded in `schema_migrations`, ascending. */
export async function appliedVersions(client: ClickHouseClient, database: string): Promise<number[]> {
  const result = await client.query({
    query: `SELECT DISTINCT version FROM ${database}.schema_migrations ORDER BY version`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number | string }>();
  return rows.map((row) => Number(row.version));
}

async function addColumnIfMissing(client: ClickHouseClient, database: string, column: AddedColumn): Promise<void> {
  const result = await client.query({
    query: `SELECT count() AS found FROM system.columns WHERE database = ${sqlString(database)} AND table = ${sqlString(column.table)} AND name = ${sqlString(column.name)}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ found: number | string }>();
  if (Number(row?.found ?? 0) > 0) return;
  await client.command({ query: `ALTER TABLE ${database}.${column.table} ADD COLUMN ${column.name} ${column.definition}` });
}
