import { ConfigError } from '@graylane/runtime';
import { describe, expect, it } from 'vitest';
import { addColumnStatements, MIGRATIONS, TABLES } from './migrations.js';
import { checkClusterSupport, createReplacingTable, type SchemaTarget } from './schema-target.js';
import { featuresOf } from './server-features.js';

const old: SchemaTarget = { database: 'graylane', features: featuresOf('18.16.1') };
const current: SchemaTarget = { database: 'graylane', features: featuresOf('26.7.3.1') };
const cluster: SchemaTarget = { ...current, cluster: 'graylane_cluster' };
const allStatements = (target: SchemaTarget): string => MIGRATIONS.flatMap((m) => m.statements(target)).join('\n');

describe('the schema on 18.16', () => {
  it('uses String, one table per name and no cluster', () => {
    const text = allStatements(old);
    expect(text).not.toMatch(/LowCardinality|ON CLUSTER|Distributed|Replicated|TTL/);
    expect(createReplacingTable(old, TABLES.requestCounts(old))).toHaveLength(1);
    expect(text).toContain('CREATE TABLE IF NOT EXISTS graylane.request_counts (');
    expect(text).toContain('rollout String,');
  });
});

describe('the schema on a current server', () => {
  it('uses LowCardinality for the few-valued columns only', () => {
    const text = allStatements(current);
    expect(text).toContain('rollout LowCardinality(String),');
    expect(text).toContain("status_class LowCardinality(String) COMMENT");
    expect(text).toContain("batch_id String COMMENT");
    expect(text).toContain("body String COMMENT");
    expect(text).not.toMatch(/ON CLUSTER|Distributed/);
  });
});

describe('the schema in a cluster (GRAYLANE_CLICKHOUSE_CLUSTER)', () => {
  it('writes replicated tables per shard and a Distributed table under the name queries use', () => {
    expect(createReplacingTable(cluster, TABLES.requestCounts(cluster))).toEqual([
      expect.stringMatching(
        /^CREATE TABLE IF NOT EXISTS graylane\.request_counts_local ON CLUSTER graylane_cluster \([\s\S]*\) ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{shard\}\/graylane\/request_counts_local', '\{replica\}'\)\nPARTITION BY toYYYYMMDD\(ts\)\nORDER BY \(rollout, ts, pool, version, region, status_class, batch_id\)$/,
      ),
      'CREATE TABLE IF NOT EXISTS graylane.request_counts ON CLUSTER graylane_cluster AS graylane.request_counts_local\nENGINE = Distributed(graylane_cluster, graylane, request_counts_local, cityHash64(batch_id))',
    ]);
  });

  it('keeps schema_migrations whole on every node', () => {
    expect(createReplacingTable(cluster, TABLES.schemaMigrations())).toEqual([
      expect.stringMatching(/^CREATE TABLE IF NOT EXISTS graylane\.schema_migrations ON CLUSTER graylane_cluster \([\s\S]*ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/all\/graylane\/schema_migrations', '\{replica\}'\)\nORDER BY version$/),
    ]);
  });

  it('adds columns to the shards and the Distributed table, with IF NOT EXISTS', () => {
    const column = MIGRATIONS[2]?.addColumns?.[0];
    expect(addColumnStatements(cluster, column!)).toEqual([
      "ALTER TABLE graylane.verdicts_local ON CLUSTER graylane_cluster ADD COLUMN IF NOT EXISTS schema LowCardinality(String) DEFAULT 'graylane.verdict/v1' COMMENT 'schema of body'",
      "ALTER TABLE graylane.verdicts ON CLUSTER graylane_cluster ADD COLUMN IF NOT EXISTS schema LowCardinality(String) DEFAULT 'graylane.verdict/v1' COMMENT 'schema of body'",
    ]);
    expect(addColumnStatements(old, column!)).toEqual([
      "ALTER TABLE graylane.verdicts ADD COLUMN schema String DEFAULT 'graylane.verdict/v1' COMMENT 'schema of body'",
    ]);
  });

  it('is refused on 18.16, naming the variable', () => {
    expect(() => checkClusterSupport({ ...old, cluster: 'c' })).toThrow(ConfigError);
    expect(() => checkClusterSupport({ ...old, cluster: 'c' })).toThrow(/GRAYLANE_CLICKHOUSE_CLUSTER: a cluster needs ClickHouse 20\.1 or later, the server is 18\.16\.1/);
    expect(() => checkClusterSupport(cluster)).not.toThrow();
  });
});
