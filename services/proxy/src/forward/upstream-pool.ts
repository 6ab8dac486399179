import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** One upstream endpoint with its own keep-alive connection pool. */
export interface Upstream {
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  readonly secure: boolean;
  readonly agent: HttpAgent;
}

/** Idle keep-alive sockets kept per upstream endpoint. */
const MAX_FREE_SOCKETS = 256;

/**
 * Keep-alive agents by upstream origin, shared across table versions so a config change does
 * not drop warm connections.
 */
export class UpstreamRegistry {
  private readonly byOrigin = new Map<string, Upstream>();

  /** The endpoint for `url`, created on first use. */
  get(url: string): Upstream {
    const origin = new URL(url).origin;
    let upstream = this.byOrigin.get(origin);
    if (upstream === undefined) {
      upstream = createUpstream(origin);
      this.byOrigin.set(origin, upstream);
    }
    return upstream;
  }

  /** Closes every pooled connection (shutdown). */
  close(): void {
    for (const upstream of this.byOrigin.values()) upstream.agent.destroy();
    this.byOrigin.clear();
  }
}

function createUpstream(origin: string): Upstream {
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  const options = { keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS, scheduling: 'lifo' as const };
  return {
    origin,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    secure,
    agent: secure ? new HttpsAgent(options) : new HttpAgent(options),
  };
}

/** Round-robin choice among a pool's endpoints. */
export class RoundRobin {
  private next = 0;

  constructor(private readonly upstreams: readonly Upstream[]) {}

  pick(): Upstream {
    const upstream = this.upstreams[this.next % this.upstreams.length];
    this.next = (this.next + 1) % this.upstreams.length;
    if (upstream === undefined) throw new Error('pool has no upstreams');
    return upstream;
  }
}
