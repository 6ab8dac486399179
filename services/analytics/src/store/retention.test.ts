import { describe, expect, it } from 'vitest';
import { dropPartitionStatement, hasTtl, partitionsToDrop, retainedTables, ttlStatements } from './retention.js';
import type { SchemaTarget } from './schema-target.js';
import { featuresOf } from './server-features.js';

const old: SchemaTarget = { database: 'graylane', features: featuresOf('18.16.1') };
const current: SchemaTarget = { database: 'graylane', features: featuresOf('26.7.3.1') };
const cluster: SchemaTarget = { ...current, cluster: 'gl' };

describe('retainedTables', () => {
  it('reads the partitions from the migrations: metrics by day, verdicts and events by month', () => {
    expect(retainedTables(old)).toEqual([
      { name: 'request_counts', storage: 'request_counts', timeColumn: 'ts', partition: 'day' },
      { name: 'latency_buckets', storage: 'latency_buckets', timeColumn: 'ts', partition: 'day' },
      { name: 'verdicts', storage: 'verdicts', timeColumn: 'evaluated_at', partition: 'month' },
      { name: 'events', storage: 'events', timeColumn: 'at', partition: 'month' },
    ]);
    expect(retainedTables(cluster).map((table) => table.storage)).toEqual(['request_counts_local', 'latency_buckets_local', 'verdicts_local', 'events_local']);
  });
});

describe('partitionsToDrop', () => {
  const now = new Date('2026-12-02T09:00:00Z');
  it('drops a day once it ended `days` ago, and a month once its end is that old', () => {
    const parts = [
      { table: 'request_counts', partition: '20261101' }, // ended Nov 2 00:00, cutoff Nov 2 09:00: drop
      { table: 'request_counts', partition: '20261102' }, // ends Nov 3: keep
      { table: 'latency_buckets', partition: '20261031' },
      { table: 'verdicts', partition: '202610' }, // ended Nov 1: drop
      { table: 'verdicts', partition: '202611' }, // ends Dec 1: keep
      { table: 'events', partition: '202612' },
      { table: 'schema_migrations', partition: 'tuple()' }, // not retained
      { table: 'request_counts', partition: 'garbage' },
    ];
    expect(partitionsToDrop(old, parts, now, 30)).toEqual([
      { table: 'request_counts', partition: '20261101' },
      { table: 'latency_buckets', partition: '20261031' },
      { table: 'verdicts', partition: '202610' },
    ]);
  });

  it('rolls over month and year ends', () => {
    const parts = [
      { table: 'request_counts', partition: '20261231' },
      { table: 'events', partition: '202612' },
    ];
    expect(partitionsToDrop(old, parts, new Date('2027-01-01T00:00:00Z'), 1)).toEqual([]);
    expect(partitionsToDrop(old, parts, new Date('2027-01-02T00:00:00Z'), 1)).toEqual(parts);
  });

  it('refuses a retention that is not a positive whole number of days', () => {
    expect(() => partitionsToDrop(old, [], new Date(), 0)).toThrow(RangeError);
  });
});

describe('statements', () => {
  it('drop a partition by its id, on every shard in a cluster, and nothing that is not a partition id', () => {
    expect(dropPartitionStatement(old, { table: 'request_counts', partition: '20261101' })).toBe('ALTER TABLE graylane.request_counts DROP PARTITION 20261101');
    expect(dropPartitionStatement(cluster, { table: 'verdicts_local', partition: '202610' })).toBe('ALTER TABLE graylane.verdicts_local ON CLUSTER gl DROP PARTITION 202610');
    expect(() => dropPartitionStatement(old, { table: 'events', partition: "1; DROP TABLE x" })).toThrow(/not a graylane partition/);
  });

  it('set the TTL and whole-part drops, and see a TTL already set', () => {
    const [metrics] = retainedTables(cluster);
    expect(ttlStatements(cluster, metrics!, 30)).toEqual([
      'ALTER TABLE graylane.request_counts_local ON CLUSTER gl MODIFY SETTING ttl_only_drop_parts = 1',
      'ALTER TABLE graylane.request_counts_local ON CLUSTER gl MODIFY TTL ts + INTERVAL 30 DAY',
    ]);
    const engine = 'ReplacingMergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (rollout, ts) TTL ts + toIntervalDay(30) SETTINGS index_granularity = 8192';
    expect(hasTtl(engine, metrics!, 30)).toBe(true);
    expect(hasTtl(engine, metrics!, 7)).toBe(false);
    expect(hasTtl('ReplacingMergeTree ORDER BY x', metrics!, 30)).toBe(false);
  });
});
