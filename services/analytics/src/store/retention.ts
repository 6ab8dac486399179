import { sqlString } from './clickhouse.js';
import { TABLES } from './migrations.js';
import { onCluster, storageTable, type ReplacingTable, type SchemaTarget } from './schema-target.js';

/** A table whose old rows retention removes, and by what time column and partition size. */
export interface RetainedTable {
  /** The name queries use. */
  readonly name: string;
  /** The table ALTERs address (the shards' `<name>_local` in a cluster). */
  readonly storage: string;
  readonly timeColumn: string;
  /** `day` for `PARTITION BY toYYYYMMDD(col)`, `month` for `toYYYYMM(col)`. */
  readonly partition: 'day' | 'month';
}

/** One partition of one table, as `system.parts` names it (`20251126`, `202511`). */
export interface TablePartition {
  readonly table: string;
  readonly partition: string;
}

const DAY_MS = 86_400_000;

/**
 * Every table with a time partition: metrics by day, verdicts and events by month. Read from the
 * migrations' PARTITION BY, so a new partitioned table is retained without being listed twice.
 */
export function retainedTables(target: SchemaTarget): RetainedTable[] {
  const tables: ReplacingTable[] = [TABLES.requestCounts(target), TABLES.latencyBuckets(target), TABLES.verdicts(target), TABLES.events(target)];
  return tables.map((table) => {
    const match = /^toYYYYMM(DD)?\((\w+)\)$/.exec(table.partitionBy ?? '');
    if (match === null) throw new Error(`table ${table.name}: retention expects PARTITION BY toYYYYMMDD(col) or toYYYYMM(col)`);
    return { name: table.name, storage: storageTable(target, table), timeColumn: match[2] as string, partition: match[1] === undefined ? 'month' : 'day' };
  });
}

/**
 * The TTL of `table` on a server that has TTL: rows older than `days` leave with merges, and
 * `ttl_only_drop_parts` makes that dropping whole parts (a part never spans two partitions), not
 * rewriting them, the same granularity as the partition drops on 18.16.
 */
export function ttlStatements(target: SchemaTarget, table: RetainedTable, days: number): string[] {
  const name = `${target.database}.${table.storage}${onCluster(target)}`;
  return [`ALTER TABLE ${name} MODIFY SETTING ttl_only_drop_parts = 1`, `ALTER TABLE ${name} MODIFY TTL ${table.timeColumn} + INTERVAL ${wholeDays(days)} DAY`];
}

/** Whether `engineFull` (system.tables) already carries the TTL ttlStatements would set. */
export function hasTtl(engineFull: string, table: RetainedTable, days: number): boolean {
  return engineFull.replace(/\s+/g, ' ').includes(`TTL ${table.timeColumn} + toIntervalDay(${wholeDays(days)})`);
}

/** Lists the active partitions of the retained tables (for the 18.16 path). */
export function partitionsQuery(target: SchemaTarget): string {
  const names = retainedTables(target).map((table) => sqlString(table.storage));
  return `SELECT DISTINCT table, partition FROM system.parts
WHERE database = ${sqlString(target.database)} AND active AND table IN (${names.join(', ')})
ORDER BY table, partition`;
}

/**
 * The partitions whose every row is older than `days` before `now`: a day partition once its day
 * has ended that long ago, a month partition once its month has. Partitions this cannot read are
 * kept.
 */
export function partitionsToDrop(target: SchemaTarget, parts: readonly TablePartition[], now: Date, days: number): TablePartition[] {
  const cutoffMs = now.getTime() - wholeDays(days) * DAY_MS;
  const kinds = new Map(retainedTables(target).map((table) => [table.storage, table.partition]));
  return parts.filter((part) => {
    const kind = kinds.get(part.table);
    const endMs = kind === undefined ? undefined : partitionEndMs(part.partition, kind);
    return endMs !== undefined && endMs <= cutoffMs;
  });
}

/** `ALTER TABLE … DROP PARTITION` of one partition partitionsToDrop chose. */
export function dropPartitionStatement(target: SchemaTarget, part: TablePartition): string {
  if (!/^\d{6}(\d{2})?$/.test(part.partition)) throw new Error(`not a graylane partition: ${part.table} ${part.partition}`);
  return `ALTER TABLE ${target.database}.${part.table}${onCluster(target)} DROP PARTITION ${part.partition}`;
}

/** When the partition named `id` (`YYYYMMDD` or `YYYYMM`, UTC) ends, in Unix ms. */
function partitionEndMs(id: string, kind: 'day' | 'month'): number | undefined {
  const match = kind === 'day' ? /^(\d{4})(\d{2})(\d{2})$/.exec(id) : /^(\d{4})(\d{2})$/.exec(id);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), kind === 'day' ? Number(match[3]) : 1];
  // Date.UTC rolls over: day + 1 past the month's end, month + 1 past December.
  return kind === 'day' ? Date.UTC(year, month - 1, day + 1) : Date.UTC(year, month, 1);
}

function wholeDays(days: number): number {
  if (!Number.isSafeInteger(days) || days <= 0) throw new RangeError(`expected a positive whole number of days, got ${days}`);
  return days;
}
