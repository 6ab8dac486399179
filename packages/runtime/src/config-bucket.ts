import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CONFIG_BUCKET } from '@graylane/contracts';
import { isPermissionDenied, waitFor } from './permission-wait.js';
import type { StreamOptions } from './streams.js';

export type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';

/** How many earlier routing tables the bucket keeps, for `history` and `rollback-config`. */
export const CONFIG_HISTORY = 64;

/**
 * Opens the KV bucket holding the routing table, creating it on first use. The config service and
 * the proxies both call this, so either may start first; both ask for the same bucket settings.
 * On a closed bus (infra/nats/permissions.conf) only the config service may create the bucket:
 * a reader that is refused waits until the bucket exists. `replicas` (GRAYLANE_JETSTREAM_REPLICAS)
 * applies when the bucket is created.
 */
export async function openConfigBucket(nc: NatsConnection, bucket: string = CONFIG_BUCKET, options: StreamOptions = {}): Promise<KV> {
  return waitFor(
    () => new Kvm(nc).create(bucket, { history: CONFIG_HISTORY, replicas: options.replicas ?? 1 }),
    isPermissionDenied,
    () => nc.isClosed(),
  );
}
