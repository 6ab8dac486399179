import { parseWith, RoutingTableV1 } from '@graylane/contracts';
import { compileTable, EMPTY_TABLE, type RoutingTable } from '@graylane/routing';

/** Why a table was not applied now: older than the one held, or waiting for its `activateAt`. */
export type RejectReason = 'stale' | 'invalid' | 'scheduled';

/** A version with an `activateAt` further ahead than this switches at this delay instead. */
export const MAX_ACTIVATE_DELAY_MS = 10 * 60_000;

/** What the holder needs beside the table; all optional so tests build one with `new TableHolder()`. */
export interface TableHolderOptions {
  clock?: () => number;
  /**
   * Everything else the proxy derives from a table before serving it (the origins to pool and
   * health-check): run before the swap, so a table the proxy cannot use as a whole is refused
   * like one that does not compile, and the last good one stays.
   */
  prepare?: (table: RoutingTable) => void;
  /** Told when a listener fails after a swap; the swap stands and the other listeners still run. */
  onListenerError?: (error: unknown, version: number) => void;
}

/**
 * Holds the routing table the proxy serves with. A new version is parsed and compiled off to the
 * side and then swapped in with one assignment, so a request sees either the old table or the
 * new one, never a mix; a version at or below the current (or scheduled) one is ignored, so the
 * proxy never goes backwards. A version with `activateAt` in the future waits, compiled, until
 * that instant, so every proxy switches together; a newer version replaces the waiting one.
 * Nothing thrown by a listener escapes a swap, so neither a KV watcher nor an activation timer
 * can take the process down.
 */
export class TableHolder {
  private table: RoutingTable = EMPTY_TABLE;
  private received = false;
  private pending: { table: RoutingTable; timer: NodeJS.Timeout } | undefined;
  private readonly listeners: ((version: number) => void)[] = [];
  /** Versions refused because they did not compile or could not be prepared. */
  rejected = 0;
  /** The last refused version and why, for /readyz and logs. */
  lastRejected: { version: number; message: string } | undefined;
  private readonly clock: () => number;
  private readonly prepare: ((table: RoutingTable) => void) | undefined;
  private readonly onListenerError: (error: unknown, version: number) => void;

  constructor(options: TableHolderOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.prepare = options.prepare;
    this.onListenerError = options.onListenerError ?? (() => undefined);
  }

  get current(): RoutingTable {
    return this.table;
  }

  /** True once any version of the config was applied (the proxy is ready). */
  get hasConfig(): boolean {
    return this.received;
  }

  /** The version waiting for its activation instant, if any. */
  get scheduledVersion(): number | undefined {
    return this.pending?.table.version;
  }

  /** Calls `listener` with the version after every swap (heartbeats report it at once). */
  onApplied(listener: (version: number) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Applies the KV value at `version`; returns why not when it was not applied now. Throws the
   * validation error of a version it refuses (the caller logs it); the table served is unchanged.
   */
  apply(value: unknown, version: number): RejectReason | undefined {
    const newest = Math.max(this.received ? this.table.version : -1, this.pending?.table.version ?? -1);
    if (version <= newest) return 'stale';
    let next: RoutingTable;
    let parsed: RoutingTableV1;
    try {
      parsed = parseWith(RoutingTableV1, value, 'routing table');
      next = compileTable(parsed, version);
      this.prepare?.(next);
    } catch (error) {
      this.rejected += 1;
      this.lastRejected = { version, message: error instanceof Error ? error.message : String(error) };
      throw error;
    }
    this.cancelPending();
    // An unreadable activateAt (NaN) applies at once rather than never.
    const at = parsed.activateAt === undefined ? Number.NaN : Date.parse(parsed.activateAt);
    const delayMs = Number.isNaN(at) ? 0 : at - this.clock();
    // The first table is applied at once: a proxy with no table serves nothing at all.
    if (delayMs > 0 && this.received) {
      const timer = setTimeout(() => this.swap(next), Math.min(delayMs, MAX_ACTIVATE_DELAY_MS));
      timer.unref();
      this.pending = { table: next, timer };
      return 'scheduled';
    }
    this.swap(next);
    return undefined;
  }

  /** Drops a version waiting for its activation (on shutdown). */
  cancelPending(): void {
    if (this.pending !== undefined) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  private swap(next: RoutingTable): void {
    if (this.pending?.table === next) this.pending = undefined;
    this.table = next;
    this.received = true;
    for (const listener of this.listeners) {
      try {
        listener(next.version);
      } catch (error) {
        this.onListenerError(error, next.version);
      }
    }
  }
}
