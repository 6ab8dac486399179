import type { ClickHouseClient } from './clickhouse.js';

/**
 * What the schema, retention and compatibility code asks of ClickHouse: run a statement, read
 * rows. Statements are plain SQL text, so the same text runs over HTTP on a server (this file) and
 * in-process on chdb in the compatibility test, and both answer with JSONEachRow rows.
 */
export interface SqlRunner {
  /** Runs a statement that returns no rows (DDL, INSERT … VALUES, ALTER). */
  command(sql: string): Promise<void>;
  /** Runs a SELECT and returns its rows as JSONEachRow objects (64-bit integers as strings). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/** A SqlRunner over the analytics service's HTTP client. */
export function httpSqlRunner(client: ClickHouseClient): SqlRunner {
  return {
    async command(sql) {
      await client.command({ query: sql });
    },
    async rows<T>(sql: string): Promise<T[]> {
      const result = await client.query({ query: sql, format: 'JSONEachRow' });
      return result.json<T>();
    },
  };
}
