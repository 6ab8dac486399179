import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { METRICS_STREAM, METRICS_SUBJECT_PREFIX } from '@graylane/contracts';

const NANOS_PER_MS = 1_000_000;

/** How long JetStream remembers message ids to drop a re-published batch. */
export const METRICS_DEDUP_WINDOW_MS = 2 * 60_000;
/** How long unconsumed batches wait in the stream, e.g. while analytics or ClickHouse is down. */
export const METRICS_MAX_AGE_MS = 24 * 3_600_000;

/**
 * Creates the metrics stream if it does not exist yet. Proxies and analytics both call this, so
 * either may start first; the configuration lives here so both ask for the same stream.
 */
export async function ensureMetricsStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(METRICS_STREAM);
    return;
  } catch {
    // not found: create below
  }
  try {
    await jsm.streams.add({
      name: METRICS_STREAM,
      subjects: [`${METRICS_SUBJECT_PREFIX}.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: METRICS_DEDUP_WINDOW_MS * NANOS_PER_MS,
      max_age: METRICS_MAX_AGE_MS * NANOS_PER_MS,
    });
  } catch (error) {
    // Another process may have created it between our info and add.
    await jsm.streams.info(METRICS_STREAM).catch(() => {
      throw error;
    });
  }
}
