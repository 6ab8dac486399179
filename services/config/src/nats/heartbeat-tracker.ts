import { PROXY_HEARTBEAT_SUBJECT, ProxyHeartbeatV1, validationIssues, type ProxyStatusV1 } from '@graylane/contracts';
import { decodeJson, type NatsConnection, type Subscription } from '@graylane/runtime';

/** A proxy not heard from for this long is no longer live (proxies beat every 2 s). */
export const PROXY_LIVE_MS = 6000;

/**
 * Remembers the latest heartbeat of every proxy, so `status` and `--wait` can tell which proxies
 * are live and which config version each applies. Bounded: proxies gone for 10x the live window
 * are forgotten.
 */
export class HeartbeatTracker {
  private readonly seen = new Map<string, { configVersion: number; lastSeenMs: number }>();

  constructor(
    private readonly liveMs = PROXY_LIVE_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records one heartbeat; ignores anything that is not a ProxyHeartbeatV1. */
  record(beat: unknown): void {
    if (validationIssues(ProxyHeartbeatV1, beat, 1).length > 0) return;
    const { proxyId, configVersion } = beat as ProxyHeartbeatV1;
    this.seen.set(proxyId, { configVersion, lastSeenMs: this.clock() });
  }

  /** The live proxies, sorted by id. */
  live(): ProxyStatusV1[] {
    const now = this.clock();
    const live: ProxyStatusV1[] = [];
    for (const [proxyId, { configVersion, lastSeenMs }] of this.seen) {
      if (now - lastSeenMs > this.liveMs * 10) this.seen.delete(proxyId);
      else if (now - lastSeenMs <= this.liveMs) live.push({ proxyId, configVersion, lastSeen: new Date(lastSeenMs).toISOString() });
    }
    return live.sort((a, b) => a.proxyId.localeCompare(b.proxyId));
  }

  /** Subscribes to proxy heartbeats on `nc`; unsubscribe the result to stop. */
  listen(nc: NatsConnection): Subscription {
    return nc.subscribe(PROXY_HEARTBEAT_SUBJECT, {
      callback: (error, msg) => {
        if (error !== null) return;
        try {
          this.record(decodeJson(msg.data));
        } catch {
          // Not JSON: not a heartbeat.
        }
      },
    });
  }
}
