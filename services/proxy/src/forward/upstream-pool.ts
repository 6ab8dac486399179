import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** One upstream endpoint with its own keep-alive connection pool. */
export interface Upstream {
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  /** `host:port` as the upstream expects it in `Host` when the host is rewritten. */
  readonly host: string;
  readonly secure: boolean;
  readonly agent: HttpAgent;
  /** Requests sent and not yet finished; least-outstanding balancing reads it. */
  outstanding: number;
}

/** Keep-alive limits per upstream endpoint. */
export interface KeepAliveLimits {
  /** Connections open at once to one endpoint; further requests wait in the agent's queue. */
  readonly maxSockets: number;
  /** Idle keep-alive connections kept per endpoint. */
  readonly maxFreeSockets: number;
  /** An idle pooled connection is closed after this long, before the upstream closes it under us. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_KEEP_ALIVE: KeepAliveLimits = Object.freeze({ maxSockets: 1024, maxFreeSockets: 256, idleTimeoutMs: 30_000 });

/**
 * Keep-alive agents by upstream origin, shared across table versions so a config change does
 * not drop warm connections; an origin that leaves the config is retired (`OriginRetirer`).
 */
export class UpstreamRegistry {
  private readonly byOrigin = new Map<string, Upstream>();
  private readonly byUrl = new Map<string, Upstream>();

  constructor(private readonly limits: KeepAliveLimits = DEFAULT_KEEP_ALIVE) {}

  /** The endpoint for `url`, created on first use. */
  get(url: string): Upstream {
    const known = this.byUrl.get(url);
    if (known !== undefined) return known;
    const origin = new URL(url).origin;
    let upstream = this.byOrigin.get(origin);
    if (upstream === undefined) {
      upstream = createUpstream(origin, this.limits);
      this.byOrigin.set(origin, upstream);
    }
    this.byUrl.set(url, upstream);
    return upstream;
  }

  /** Every endpoint in use, for metrics. */
  all(): IterableIterator<Upstream> {
    return this.byOrigin.values();
  }

  /** Requests in flight to `origin`; 0 when it is not known. */
  outstandingOf(origin: string): number {
    return this.byOrigin.get(origin)?.outstanding ?? 0;
  }

  /**
   * Forgets `origin` (it left the config) and closes its agent gracefully: idle connections now,
   * busy ones when their request is done. A later `get` of it starts a new agent.
   */
  retire(origin: string): void {
    const upstream = this.byOrigin.get(origin);
    if (upstream === undefined) return;
    this.byOrigin.delete(origin);
    for (const [url, known] of this.byUrl) if (known === upstream) this.byUrl.delete(url);
    closeWhenIdle(upstream.agent);
  }

  /** Closes every pooled connection (shutdown). */
  close(): void {
    for (const upstream of this.byOrigin.values()) upstream.agent.destroy();
    this.byOrigin.clear();
    this.byUrl.clear();
  }
}

function createUpstream(origin: string, limits: KeepAliveLimits): Upstream {
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  const options = {
    keepAlive: true,
    maxSockets: limits.maxSockets,
    maxFreeSockets: limits.maxFreeSockets,
    timeout: limits.idleTimeoutMs,
    // LIFO reuses the warmest socket and lets the rest idle out when load drops.
    scheduling: 'lifo' as const,
  };
  return {
    origin,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    host: url.host,
    secure,
    agent: secure ? new HttpsAgent(options) : new HttpAgent(options),
    outstanding: 0,
  };
}

/** Closes an agent's idle connections now and each busy one as soon as its request ends. */
function closeWhenIdle(agent: HttpAgent): void {
  // Documented hook: an agent asks it before pooling a freed socket; false destroys the socket.
  agent.keepSocketAlive = () => false;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}
