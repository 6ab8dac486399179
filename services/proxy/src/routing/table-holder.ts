import { parseWith, RoutingTableV1 } from '@graylane/contracts';
import { compileTable, EMPTY_TABLE, type RoutingTable } from '@graylane/routing';

/** Why a table was not applied now: older than the one held, or waiting for its `activateAt`. */
export type RejectReason = 'stale' | 'invalid' | 'scheduled';

/** A version with an `activateAt` further ahead than this switches at this delay instead. */
export const MAX_ACTIVATE_DELAY_MS = 10 * 60_000;

/**
 * Holds the routing table the proxy serves with. A new version is parsed and compiled off to the
 * side and then swapped in with one assignment, so a request sees either the old table or the
 * new one, never a mix; a version at or below the current (or scheduled) one is ignored, so the
 * proxy never goes backwards. A version with `activateAt` in the future waits, compiled, until
 * that instant, so every proxy switches together; a newer version replaces the waiting one.
 */
export class TableHolder {
  private table: RoutingTable = EMPTY_TABLE;
  private received = false;
  private pending: { table: RoutingTable; timer: NodeJS.Timeout } | undefined;
  private readonly listeners: ((version: number) => void)[] = [];
  rejected = 0;

  constructor(private readonly clock: () => number = Date.now) {}

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

  /** Applies the KV value at `version`; returns why not when it was not applied now. */
  apply(value: unknown, version: number): RejectReason | undefined {
    const newest = Math.max(this.received ? this.table.version : -1, this.pending?.table.version ?? -1);
    if (version <= newest) return 'stale';
    let next: RoutingTable;
    let parsed: RoutingTableV1;
    try {
      parsed = parseWith(RoutingTableV1, value, 'routing table');
      next = compileTable(parsed, version);
    } catch (error) {
      this.rejected += 1;
      throw error;
    }
    this.cancelPending();
    const delayMs = parsed.activateAt === undefined ? 0 : Date.parse(parsed.activateAt) - this.clock();
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
    for (const listener of this.listeners) listener(next.version);
  }
}
