import { parseWith, RoutingTableV1 } from '@graylane/contracts';
import { compileTable, EMPTY_TABLE, type RoutingTable } from '@graylane/routing';

/** Why a table was not applied. */
export type RejectReason = 'stale' | 'invalid';

/**
 * Holds the routing table the proxy serves with. A new version is parsed and compiled off to the
 * side and then swapped in with one assignment, so a request sees either the old table or the
 * new one, never a mix; a version at or below the current one is ignored, so the proxy never
 * goes backwards.
 */
export class TableHolder {
  private table: RoutingTable = EMPTY_TABLE;
  private received = false;
  rejected = 0;

  get current(): RoutingTable {
    return this.table;
  }

  /** True once any version of the config was applied (the proxy is ready). */
  get hasConfig(): boolean {
    return this.received;
  }

  /** Applies the KV value at `version`; returns why not when it was not applied. */
  apply(value: unknown, version: number): RejectReason | undefined {
    if (this.received && version <= this.table.version) return 'stale';
    let next: RoutingTable;
    try {
      next = compileTable(parseWith(RoutingTableV1, value, 'routing table'), version);
    } catch (error) {
      this.rejected += 1;
      throw error;
    }
    this.table = next;
    this.received = true;
    return undefined;
  }
}
