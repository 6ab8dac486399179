import type { Logger } from '@graylane/runtime';
import { sqlInteger, sqlString } from './clickhouse.js';
import { checkClusterSupport, createReplacingTable, lowString, onCluster, storageTable, type ReplacingTable, type SchemaTarget } from './schema-target.js';
import type { SqlRunner } from './sql-runner.js';

/**
 * One schema change. Its statements must be safe to run twice (`IF NOT EXISTS`), because a crash
 * between the last statement and the `schema_migrations` row reruns the whole migration.
 * Every statement must run on ClickHouse 18.16 and on current releases: MergeTree family engines
 * only, no TTL (retention.ts adds it where the server has it), no DateTime64, no Map.
 * LowCardinality only through `lowString(target)`, which is String on 18.16. A database created
 * on 18.16 keeps its String columns when the server is upgraded: the migrations are recorded as
 * applied, and every query reads String and LowCardinality(String) alike.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(target: SchemaTarget): string[];
  /**
   * Columns to add after the statements, each only if missing: 18.16 has no
   * `ADD COLUMN IF NOT EXISTS`, so applyMigrations looks in `system.columns` first.
   */
  readonly addColumns?: readonly AddedColumn[];
}

/** One `ALTER TABLE <table> ADD COLUMN <name> <definition>`. */
export interface AddedColumn {
  readonly table: Pick<ReplacingTable, 'name' | 'shardBy'>;
  readonly name: string;
  /** Type, DEFAULT and COMMENT, e.g. `String DEFAULT '' COMMENT 'why'`. */
  definition(target: SchemaTarget): string;
}

/*
 * The metric tables are ReplacingMergeTree keyed by everything that names one row of one batch, so a
 * batch inserted twice (JetStream redelivery after a lost ack, or a proxy re-publishing outside
 * the de-duplication window) collapses to one row; queries read them with FINAL. The key starts
 * with the rollout and the second so that a report reads one narrow range. Day partitions let
 * retention on 18.16 (no TTL) drop old data with ALTER TABLE ... DROP PARTITION (retention.ts).
 * In a cluster a batch's rows shard by batch_id, so its duplicates meet on one shard.
 */
const seriesColumns = (target: SchemaTarget): string => {
  const low = lowString(target);
  return `
    ts DateTime('UTC') COMMENT 'start of the proxy batch window, whole second',
    minute DateTime('UTC') COMMENT 'ts truncated to the minute',
    rollout ${low},
    pool ${low} COMMENT 'stable or canary',
    version ${low} COMMENT 'pool name from the rollout spec, e.g. v2',
    region ${low} COMMENT 'empty when the rollout has no regions',
    status_class ${low} COMMENT '1xx..5xx, or err when the upstream gave no response',
    batch_id String COMMENT 'proxyId:seq of the MetricBatchV1',`;
};

/** The tables the migrations create, by name: retention and the cluster DDL address them too. */
export const TABLES = {
  requestCounts: (target: SchemaTarget): ReplacingTable => ({
    name: 'request_counts',
    columns: `${seriesColumns(target)}
    proxy_id ${lowString(target)},
    config_version UInt64 COMMENT 'routing table version the proxy applied',
    requests UInt64`,
    partitionBy: 'toYYYYMMDD(ts)',
    orderBy: '(rollout, ts, pool, version, region, status_class, batch_id)',
    shardBy: 'cityHash64(batch_id)',
  }),
  latencyBuckets: (target: SchemaTarget): ReplacingTable => ({
    name: 'latency_buckets',
    columns: `${seriesColumns(target)}
    bucket UInt16 COMMENT 'histogram bucket index in the @graylane/histogram layout',
    value_us UInt32 COMMENT 'representative latency of the bucket in microseconds',
    count UInt64 COMMENT 'requests whose latency fell in the bucket'`,
    partitionBy: 'toYYYYMMDD(ts)',
    orderBy: '(rollout, ts, pool, version, region, status_class, batch_id, bucket)',
    shardBy: 'cityHash64(batch_id)',
  }),
  // One row per rollout and window: replicas judging the same window collapse into one.
  verdicts: (target: SchemaTarget): ReplacingTable => ({
    name: 'verdicts',
    columns: `
    rollout ${lowString(target)},
    window_end_ms UInt64 COMMENT 'end of the judged window, Unix ms, aligned to the interval',
    window_start_ms UInt64,
    config_version UInt64,
    evaluated_at DateTime('UTC'),
    outcome ${lowString(target)} COMMENT 'pass, fail or inconclusive',
    action ${lowString(target)} COMMENT 'none or rollback',
    body String COMMENT 'the whole verdict as JSON'`,
    partitionBy: 'toYYYYMM(evaluated_at)',
    orderBy: '(rollout, window_end_ms)',
    shardBy: 'cityHash64(rollout)',
  }),
  // Audit copy of GRAYLANE_EVENTS; the stream sequence makes a redelivered event one row.
  events: (target: SchemaTarget): ReplacingTable => ({
    name: 'events',
    columns: `
    at DateTime('UTC') COMMENT 'when the event was stored in the stream',
    stream_seq UInt64,
    subject ${lowString(target)},
    schema ${lowString(target)},
    event_id String COMMENT 'eventId of rollbacks, version of config changes',
    rollouts Array(String),
    body String COMMENT 'the event as JSON, as published'`,
    partitionBy: 'toYYYYMM(at)',
    orderBy: 'stream_seq',
    shardBy: 'stream_seq',
  }),
  // Every node holds it whole, so any analytics replica reads what any other applied.
  schemaMigrations: (): ReplacingTable => ({
    name: 'schema_migrations',
    columns: `
    version UInt32,
    name String,
    applied_at DateTime('UTC')`,
    orderBy: 'version',
  }),
} as const;

const VERDICTS = { name: 'verdicts', shardBy: 'cityHash64(rollout)' } as const;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'request_counts and latency_buckets',
    statements: (target) => [...createReplacingTable(target, TABLES.requestCounts(target)), ...createReplacingTable(target, TABLES.latencyBuckets(target))],
  },
  {
    version: 2,
    name: 'verdicts and events',
    statements: (target) => [...createReplacingTable(target, TABLES.verdicts(target)), ...createReplacingTable(target, TABLES.events(target))],
  },
  {
    version: 3,
    name: 'verdict evidence of the sequential judge',
    statements: () => [],
    // Rows written before keep their V1 body and these defaults.
    addColumns: [
      { table: VERDICTS, name: 'schema', definition: (t) => `${lowString(t)} DEFAULT 'graylane.verdict/v1' COMMENT 'schema of body'` },
      { table: VERDICTS, name: 'tests', definition: () => `String DEFAULT '' COMMENT 'TestEvidenceV1[] as JSON: test, statistic, p, e, threshold, effect'` },
      { table: VERDICTS, name: 'max_e_value', definition: () => `Float64 DEFAULT 0 COMMENT 'largest e-value of the tests'` },
      { table: VERDICTS, name: 'evidence_since_ms', definition: () => `UInt64 DEFAULT 0 COMMENT 'end of the first window in the evidence'` },
      { table: VERDICTS, name: 'evidence_windows', definition: () => `UInt32 DEFAULT 0 COMMENT 'windows the evidence holds'` },
    ],
  },
];

/**
 * Creates the database and applies, in order, each migration not yet recorded in
 * `schema_migrations`. Returns the versions applied now. Two replicas starting together may both
 * apply one; that is harmless, since statements are idempotent and the table collapses duplicates.
 */
export async function applyMigrations(
  runner: SqlRunner,
  target: SchemaTarget,
  logger: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  checkClusterSupport(target);
  const db = target.database;
  await runner.command(`CREATE DATABASE IF NOT EXISTS ${db}${onCluster(target)}`);
  for (const statement of createReplacingTable(target, TABLES.schemaMigrations())) await runner.command(statement);
  const applied = new Set(await appliedVersions(runner, db));
  const now: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(target)) await runner.command(statement);
    for (const column of migration.addColumns ?? []) await addColumnIfMissing(runner, target, column);
    await runner.command(
      `INSERT INTO ${db}.schema_migrations (version, name, applied_at) VALUES (${sqlInteger(migration.version)}, ${sqlString(migration.name)}, now())`,
    );
    logger.info({ version: migration.version, name: migration.name }, 'applied ClickHouse migration');
    now.push(migration.version);
  }
  return now;
}

/** Versions recorded in `schema_migrations`, ascending. */
export async function appliedVersions(runner: SqlRunner, database: string): Promise<number[]> {
  const rows = await runner.rows<{ version: number | string }>(`SELECT DISTINCT version FROM ${database}.schema_migrations ORDER BY version`);
  return rows.map((row) => Number(row.version));
}

/** The ALTERs that add `column`: to the table itself, or in a cluster to the shards' tables and the Distributed one. */
export function addColumnStatements(target: SchemaTarget, column: AddedColumn): string[] {
  const db = target.database;
  const definition = column.definition(target);
  if (target.cluster === undefined) return [`ALTER TABLE ${db}.${column.table.name} ADD COLUMN ${column.name} ${definition}`];
  // Cluster mode needs a current server (config.ts), which has IF NOT EXISTS: no node is asked first.
  const tables = [...new Set([storageTable(target, column.table), column.table.name])];
  return tables.map((table) => `ALTER TABLE ${db}.${table}${onCluster(target)} ADD COLUMN IF NOT EXISTS ${column.name} ${definition}`);
}

async function addColumnIfMissing(runner: SqlRunner, target: SchemaTarget, column: AddedColumn): Promise<void> {
  if (target.cluster === undefined) {
    const [row] = await runner.rows<{ found: number | string }>(
      `SELECT count() AS found FROM system.columns WHERE database = ${sqlString(target.database)} AND table = ${sqlString(column.table.name)} AND name = ${sqlString(column.name)}`,
    );
    if (Number(row?.found ?? 0) > 0) return;
  }
  for (const statement of addColumnStatements(target, column)) await runner.command(statement);
}
