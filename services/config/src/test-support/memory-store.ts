import { emptyRoutingTable, type RoutingTableV1 } from '@graylane/contracts';
import type { RoutingTableStore } from '../store/routing-table-store.js';

/**
 * A routing-table store in memory, for tests of the layers above it (the real store has its own
 * integration test on NATS). `failReads` makes reads fail, as when NATS is down.
 */
export function memoryTableStore(options: { failReads?: () => boolean } = {}): RoutingTableStore {
  let state: { table: RoutingTableV1; version: number } = { table: emptyRoutingTable(), version: 0 };
  return {
    read: async () => {
      if (options.failReads?.() === true) throw new Error('NATS is down');
      return state;
    },
    write: async (table: RoutingTableV1, expected: number) => {
      state = { table, version: expected + 1 };
      return state.version;
    },
    readAt: async () => undefined,
  } as unknown as RoutingTableStore;
}
