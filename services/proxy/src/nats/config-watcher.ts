import { ROUTING_TABLE_KEY } from '@graylane/contracts';
import { decodeJson, type KV, type Logger } from '@graylane/runtime';
import type { TableHolder } from '../routing/table-holder.js';

/**
 * Feeds every revision of the routing-table key to the holder: first the latest one, then each
 * change. The KV watcher is an ordered consumer that resumes after a NATS outage (or a stalled
 * process) from where it was, so the proxy catches up on its own; the holder drops any revision
 * not newer than the one it holds. Resolves when the watch ends (shutdown).
 */
export async function watchConfig(kv: KV, holder: TableHolder, logger: Logger): Promise<void> {
  const watch = await kv.watch({ key: ROUTING_TABLE_KEY });
  for await (const entry of watch) {
    if (entry.operation !== 'PUT') continue;
    try {
      const outcome = holder.apply(decodeJson(entry.value), entry.revision);
      if (outcome === undefined) logger.info({ version: entry.revision }, 'applied config version');
      else if (outcome === 'scheduled') logger.info({ version: entry.revision }, 'config version waits for its activateAt');
    } catch (error) {
      logger.error({ err: error, version: entry.revision }, 'rejected config version; still serving the previous one');
    }
  }
}
