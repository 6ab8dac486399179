import { ClickHouseError } from '@clickhouse/client';

/**
 * Whether ClickHouse answered with an error (a bad statement, a missing table) rather than not
 * answering at all. Newer servers' errors parse into ClickHouseError; 18.16 words them
 * `Code: 60, e.displayText() = DB::Exception: …`, which the client leaves as a plain Error.
 *
 * A module of its own because the store (which maps it to GRAYLANE_INTERNAL or _UNAVAILABLE) and
 * the metrics consumer (which isolates a refused batch, or backs off when nothing answers) both
 * decide on it, and the consumer has no business with the client's setup in `store/`.
 */
export function isServerError(error: unknown): boolean {
  return error instanceof ClickHouseError || (error instanceof Error && /^Code: \d+[,.]/.test(error.message));
}
