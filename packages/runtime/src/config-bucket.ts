import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CONFIG_BUCKET } from '@graylane/contracts';
import { isPermissionDenied, waitFor } from './permission-wait.js';

export type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';

/** How many earlier routing tables the bucket keeps, for `history` and `rollback-config`. */
export const CONFIG_HISTORY = 64;

/**
 * Opens the KV bucket holding the routing table, creating it on first use. The config service and
 * the proxies both call this, so either may start first; both ask for the same bucket settings.
 * On a closed bus (infra/nats/permissions.conf) only the config service may create the bucket:
 * a reader that is refused waits until the bucket exists.
 */
export async function openConfigBucket(nc: NatsConnection, bucket: string = CONFIG_BUCKET): Promise<KV> {
  return waitFor(
    () => new Kvm(nc).create(bucket, { history: CONFIG_HISTORY }),
    isPermissionDenied,
    () => nc.isClosed(),
  );
}
