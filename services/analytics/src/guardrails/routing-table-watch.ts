import { parseWith, ROUTING_TABLE_KEY, RoutingTableV1 } from '@graylane/contracts';
import { decodeJson, type KV, type Logger } from '@graylane/runtime';

/** The routing table at one config version (the KV revision). */
export interface VersionedTable {
  readonly table: RoutingTableV1;
  readonly version: number;
}

/**
 * Keeps the latest routing table the config service wrote, for the guardrails: which rollouts
 * have an `analysis` block, their versions and state. Never goes backwards; a value that does
 * not parse is logged and skipped, keeping the previous table.
 */
export class RoutingTableWatch {
  private newest: VersionedTable | undefined;
  private readonly done: Promise<void>;
  private readonly stopIterator: () => void;

  private constructor(iterator: AsyncIterable<{ operation: string; value: Uint8Array; revision: number }> & { stop(): void }, logger: Logger) {
    this.stopIterator = () => iterator.stop();
    this.done = this.run(iterator, logger);
  }

  /** Starts watching the routing-table key; the latest value arrives first. */
  static async start(kv: KV, logger: Logger): Promise<RoutingTableWatch> {
    const watch = await kv.watch({ key: ROUTING_TABLE_KEY });
    return new RoutingTableWatch(watch, logger);
  }

  /** The newest table seen, or undefined before the first. */
  get latest(): VersionedTable | undefined {
    return this.newest;
  }

  /** Ends the watch. */
  async stop(): Promise<void> {
    this.stopIterator();
    await this.done;
  }

  private async run(iterator: AsyncIterable<{ operation: string; value: Uint8Array; revision: number }>, logger: Logger): Promise<void> {
    try {
      for await (const entry of iterator) {
        if (entry.operation !== 'PUT') continue;
        if (this.newest !== undefined && entry.revision <= this.newest.version) continue;
        try {
          this.newest = { table: parseWith(RoutingTableV1, decodeJson(entry.value), 'routing table'), version: entry.revision };
        } catch (error) {
          logger.error({ err: error, version: entry.revision }, 'guardrails skip a routing table that does not parse');
        }
      }
    } catch (error) {
      logger.error({ err: error }, 'routing table watch ended');
    }
  }
}
