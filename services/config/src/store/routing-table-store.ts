import { emptyRoutingTable, GraylaneError, parseWith, ROUTING_TABLE_KEY, RoutingTableV1 } from '@graylane/contracts';
import { decodeJson, encodeJson, type KV } from '@graylane/runtime';
import type { TableAt } from '../plan/plan-core.js';
import type { TableVersion } from '../history/diff.js';

/**
 * The routing table in the JetStream KV bucket. Every write is compare-and-set on the revision
 * it was planned against, so config replicas never overwrite each other's changes.
 */
export class RoutingTableStore {
  constructor(private readonly kv: KV) {}

  /** The current table and its version; the empty table at version 0 before the first write. */
  async read(): Promise<TableAt> {
    const entry = await this.kv.get(ROUTING_TABLE_KEY);
    if (entry === null || entry.operation !== 'PUT') return { table: emptyRoutingTable(), version: entry?.revision ?? 0 };
    return { table: parseWith(RoutingTableV1, decodeJson(entry.value), 'stored routing table'), version: entry.revision };
  }

  /** The table as it was at `version`, if the bucket still keeps it. */
  async readAt(version: number): Promise<RoutingTableV1 | undefined> {
    const entry = await this.kv.get(ROUTING_TABLE_KEY, { revision: version }).catch(() => null);
    if (entry === null || entry.operation !== 'PUT' || entry.key !== ROUTING_TABLE_KEY) return undefined;
    return parseWith(RoutingTableV1, decodeJson(entry.value), `routing table at version ${version}`);
  }

  /** Every kept version of the table, oldest first (the bucket keeps the last 64). */
  async versions(): Promise<TableVersion[]> {
    const versions: TableVersion[] = [];
    const entries = await this.kv.history({ key: ROUTING_TABLE_KEY });
    for await (const entry of entries) {
      versions.push({
        version: entry.revision,
        table: entry.operation === 'PUT' ? parseWith(RoutingTableV1, decodeJson(entry.value), 'stored routing table') : undefined,
      });
    }
    return versions;
  }

  /** Writes `table` if the stored version is still `expectedVersion`; returns the new version. */
  async write(table: RoutingTableV1, expectedVersion: number): Promise<number> {
    try {
      return expectedVersion === 0
        ? await this.kv.create(ROUTING_TABLE_KEY, encodeJson(table))
        : await this.kv.update(ROUTING_TABLE_KEY, encodeJson(table), expectedVersion);
    } catch (error) {
      const now = await this.read().catch(() => undefined);
      if (now !== undefined && now.version !== expectedVersion) {
        throw new GraylaneError(
          'GRAYLANE_VERSION_CONFLICT',
          `config changed from version ${expectedVersion} to ${now.version} while this command ran`,
          { cause: error },
        );
      }
      throw new GraylaneError('GRAYLANE_UNAVAILABLE', `could not write the routing table: ${String(error)}`, { cause: error });
    }
  }
}
