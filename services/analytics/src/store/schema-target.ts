import { ConfigError } from '@graylane/runtime';
import { FEATURES_SINCE_MAJOR, type ServerFeatures } from './server-features.js';

/**
 * Where and for what server the schema is written: one database on one server, or, with
 * GRAYLANE_CLICKHOUSE_CLUSTER, on every node of a cluster (`ON CLUSTER`, replicated tables per
 * shard and a Distributed table over them under the name queries use).
 */
export interface SchemaTarget {
  readonly database: string;
  readonly features: ServerFeatures;
  /** A cluster named in the servers' `remote_servers`; undefined on a single server. */
  readonly cluster?: string;
}

/** One ReplacingMergeTree table as the migrations define it. */
export interface ReplacingTable {
  readonly name: string;
  /** The column definitions, without the surrounding parentheses. */
  readonly columns: string;
  readonly partitionBy?: string;
  readonly orderBy: string;
  /**
   * How rows spread over shards in a cluster. Rows with the same sorting key must land on one
   * shard, or FINAL cannot collapse a batch written twice; undefined keeps the table unsharded
   * (every node holds all of it).
   */
  readonly shardBy?: string;
}

/** Suffix of the per-shard tables that hold the rows of a Distributed table. */
export const LOCAL_SUFFIX = '_local';

/** `LowCardinality(String)` where the server has it, `String` on 18.16. */
export function lowString(target: SchemaTarget): string {
  return target.features.lowCardinality ? 'LowCardinality(String)' : 'String';
}

/** ` ON CLUSTER <name>` for DDL in a cluster, nothing on a single server. */
export function onCluster(target: SchemaTarget): string {
  return target.cluster === undefined ? '' : ` ON CLUSTER ${target.cluster}`;
}

/** The table that stores the rows of `name`, which ALTERs (columns, TTL, partitions) address. */
export function storageTable(target: SchemaTarget, table: Pick<ReplacingTable, 'name' | 'shardBy'>): string {
  return target.cluster !== undefined && table.shardBy !== undefined ? `${table.name}${LOCAL_SUFFIX}` : table.name;
}

/**
 * The CREATE statements of `table`, each safe to run twice: one on a single server; in a
 * cluster, a ReplicatedReplacingMergeTree per shard (`<name>_local`, ZooKeeper path from the
 * `{shard}` and `{replica}` macros) and a Distributed table `<name>` over it, or for an unsharded
 * table one replicated table that every node holds whole.
 */
export function createReplacingTable(target: SchemaTarget, table: ReplacingTable): string[] {
  const db = target.database;
  const stored = storageTable(target, table);
  const layout = `${table.partitionBy === undefined ? '' : `\nPARTITION BY ${table.partitionBy}`}\nORDER BY ${table.orderBy}`;
  if (target.cluster === undefined) {
    return [`CREATE TABLE IF NOT EXISTS ${db}.${table.name} (${table.columns}\n) ENGINE = ReplacingMergeTree${layout}`];
  }
  const cluster = onCluster(target);
  const zkPath = table.shardBy === undefined ? `/clickhouse/tables/all/${db}/${stored}` : `/clickhouse/tables/{shard}/${db}/${stored}`;
  const local = `CREATE TABLE IF NOT EXISTS ${db}.${stored}${cluster} (${table.columns}\n) ENGINE = ReplicatedReplacingMergeTree('${zkPath}', '{replica}')${layout}`;
  if (table.shardBy === undefined) return [local];
  return [local, `CREATE TABLE IF NOT EXISTS ${db}.${table.name}${cluster} AS ${db}.${stored}\nENGINE = Distributed(${target.cluster}, ${db}, ${stored}, ${table.shardBy})`];
}

/**
 * The cluster form is written for current servers only (ADD COLUMN IF NOT EXISTS, TTL on the
 * shards' tables): a cluster of 18.16 servers is refused at start, naming the variable.
 */
export function checkClusterSupport(target: SchemaTarget): void {
  if (target.cluster !== undefined && !target.features.ttl) {
    throw new ConfigError(
      'GRAYLANE_CLICKHOUSE_CLUSTER',
      `a cluster needs ClickHouse ${FEATURES_SINCE_MAJOR}.1 or later, the server is ${target.features.version}; unset it for a single server`,
    );
  }
}
