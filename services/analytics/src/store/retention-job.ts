import type { Logger } from '@graylane/runtime';
import { sqlString } from './clickhouse.js';
import { dropPartitionStatement, hasTtl, partitionsQuery, partitionsToDrop, retainedTables, ttlStatements, type TablePartition } from './retention.js';
import type { SchemaTarget } from './schema-target.js';
import type { SqlRunner } from './sql-runner.js';

/** How often the 18.16 path looks for partitions to drop: partitions are days, so hourly is plenty. */
export const RETENTION_CHECK_MS = 3_600_000;

/** What one pass of retention did. */
export type RetentionPass = { readonly mode: 'ttl'; readonly altered: string[] } | { readonly mode: 'partitions'; readonly dropped: TablePartition[] };

/**
 * GRAYLANE_RETENTION_DAYS applied to the analytics tables: on a server with TTL, the tables get a
 * TTL once at start (the server then removes old rows itself); on 18.16 old partitions are dropped
 * at start and then every RETENTION_CHECK_MS.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runner: SqlRunner,
    private readonly target: SchemaTarget,
    private readonly days: number,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Runs a pass now and, on the 18.16 path, one every `everyMs` until stop(). A failed pass is logged and tried again later. */
  start(everyMs = RETENTION_CHECK_MS): void {
    const pass = (): void => {
      this.running = this.runOnce().catch((error: unknown) => this.logger.warn({ err: error }, 'retention pass failed; trying again later'));
    };
    pass();
    if (!this.target.features.ttl) {
      this.timer = setInterval(pass, everyMs);
      this.timer.unref();
    }
  }

  /** Stops the schedule and waits for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: set the TTL where it is missing or different, or drop the partitions past retention. */
  async runOnce(): Promise<RetentionPass> {
    if (this.target.features.ttl) {
      const altered = await this.applyTtl();
      if (altered.length > 0) this.logger.info({ tables: altered, days: this.days }, 'set the retention TTL');
      return { mode: 'ttl', altered };
    }
    const parts = await this.runner.rows<TablePartition>(partitionsQuery(this.target));
    const dropped = partitionsToDrop(this.target, parts, this.now(), this.days);
    for (const part of dropped) await this.runner.command(dropPartitionStatement(this.target, part));
    if (dropped.length > 0) this.logger.info({ dropped, days: this.days }, 'dropped partitions past retention');
    return { mode: 'partitions', dropped };
  }

  private async applyTtl(): Promise<string[]> {
    const tables = retainedTables(this.target);
    const engines = await this.runner.rows<{ name: string; engine_full: string }>(
      `SELECT name, engine_full FROM system.tables WHERE database = ${sqlString(this.target.database)}`,
    );
    const engineOf = new Map(engines.map((row) => [row.name, row.engine_full]));
    const altered: string[] = [];
    for (const table of tables) {
      if (hasTtl(engineOf.get(table.storage) ?? '', table, this.days)) continue;
      for (const statement of ttlStatements(this.target, table, this.days)) await this.runner.command(statement);
      altered.push(table.storage);
    }
    return altered;
  }
}
