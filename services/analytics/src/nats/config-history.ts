import { parseWith, ROUTING_TABLE_KEY, RoutingTableV1, type TableVersion } from '@graylane/contracts';
import { decodeJson, type KV } from '@graylane/runtime';

/** Every kept version of the routing table, oldest first. */
export interface ConfigHistorySource {
  versions(): Promise<TableVersion[]>;
}

/**
 * Reads the routing table's kept versions (the last 64) straight from the config KV bucket, which
 * analytics may read on a closed bus: the dashboard's history, weight line and change markers
 * need no command rights. Read again only when the table's version moved, so that a dashboard
 * polling every 2 s costs one KV read per config change, not one per poll.
 */
export class ConfigHistory implements ConfigHistorySource {
  private readonly kv: KV;
  private readonly currentVersion: () => number | undefined;
  private cached: { version: number; versions: Promise<TableVersion[]> } | undefined;

  constructor(kv: KV, currentVersion: () => number | undefined) {
    this.kv = kv;
    this.currentVersion = currentVersion;
  }

  async versions(): Promise<TableVersion[]> {
    const version = this.currentVersion() ?? 0;
    if (this.cached?.version !== version) {
      const versions = this.read();
      this.cached = { version, versions };
      // A failed read is not kept: the next poll tries again.
      versions.catch(() => {
        if (this.cached?.versions === versions) this.cached = undefined;
      });
    }
    return this.cached.versions;
  }

  private async read(): Promise<TableVersion[]> {
    const versions: TableVersion[] = [];
    const entries = await this.kv.history({ key: ROUTING_TABLE_KEY });
    for await (const entry of entries) {
      let table: RoutingTableV1 | undefined;
      if (entry.operation === 'PUT') {
        // A version that does not parse is shown as a gap rather than hiding the whole history.
        try {
          table = parseWith(RoutingTableV1, decodeJson(entry.value), 'stored routing table');
        } catch {
          table = undefined;
        }
      }
      versions.push({ version: entry.revision, table });
    }
    return versions;
  }
}
