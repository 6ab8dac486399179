import { PROXY_HEARTBEAT_SUBJECT, type ProxyHeartbeatV1 } from '@graylane/contracts';
import { encodeJson, type NatsConnection } from '@graylane/runtime';

/** Something that says when the applied version changed, e.g. the TableHolder. */
export interface AppliedVersions {
  onApplied(listener: (version: number) => void): void;
}

/**
 * Announces this proxy and the config version it applied every `intervalMs`, and at once after
 * each swap when `applied` is given, so `--wait` and the convergence benchmark see a new version
 * within milliseconds instead of up to one interval later. Returns a stopper.
 */
export function startHeartbeat(
  nc: NatsConnection,
  proxyId: string,
  version: () => number,
  intervalMs = 2000,
  applied?: AppliedVersions,
): () => void {
  const startedAt = new Date().toISOString();
  let stopped = false;
  const beat = (): void => {
    if (stopped || nc.isClosed()) return;
    const heartbeat: ProxyHeartbeatV1 = { proxyId, configVersion: version(), startedAt, at: new Date().toISOString() };
    nc.publish(PROXY_HEARTBEAT_SUBJECT, encodeJson(heartbeat));
  };
  beat();
  applied?.onApplied(beat);
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
