import type { SqlRunner } from './sql-runner.js';

/**
 * What the ClickHouse server graylane talks to can do, from `SELECT version()` at start. CI's
 * server is Debian's 18.16 (no TTL, LowCardinality still experimental); compose and production run
 * a current release. Both features exist from 19.x, but graylane uses them from 20.1 on, the
 * oldest release line it has reason to expect besides 18.16, so nothing relies on a 19.x detail.
 */
export interface ServerFeatures {
  /** As the server reports it, e.g. `18.16.1` or `26.7.3.1`. */
  readonly version: string;
  /** Table TTL (`TTL ts + INTERVAL n DAY`): old rows leave with merges; without it old partitions are dropped. */
  readonly ttl: boolean;
  /** `LowCardinality(String)` for new columns of few distinct values (rollout, pool, status class…). */
  readonly lowCardinality: boolean;
}

/** The first release line graylane uses TTL and LowCardinality on. */
export const FEATURES_SINCE_MAJOR = 20;

/** The features of a server that reports `version`; an unreadable version gets the 18.16 path. */
export function featuresOf(version: string): ServerFeatures {
  const major = Number(/^(\d+)\./.exec(version.trim())?.[1] ?? Number.NaN);
  const current = Number.isInteger(major) && major >= FEATURES_SINCE_MAJOR;
  return Object.freeze({ version: version.trim(), ttl: current, lowCardinality: current });
}

/** Asks the server its version once; every schema and retention decision follows from it. */
export async function detectServer(runner: SqlRunner): Promise<ServerFeatures> {
  const [row] = await runner.rows<{ version: string }>('SELECT version() AS version');
  if (row === undefined) throw new Error('ClickHouse answered SELECT version() with no row');
  return featuresOf(String(row.version));
}
