import { PROXY_HEARTBEAT_SUBJECT, type ProxyHeartbeatV1 } from '@graylane/contracts';
import { encodeJson, type NatsConnection } from '@graylane/runtime';

/** Announces this proxy and the config version it applied every `intervalMs`; returns a stopper. */
export function startHeartbeat(nc: NatsConnection, proxyId: string, version: () => number, intervalMs = 2000): () => void {
  const startedAt = new Date().toISOString();
  const beat = (): void => {
    if (nc.isClosed()) return;
    const heartbeat: ProxyHeartbeatV1 = { proxyId, configVersion: version(), startedAt, at: new Date().toISOString() };
    nc.publish(PROXY_HEARTBEAT_SUBJECT, encodeJson(heartbeat));
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
