/** One upstream endpoint; the engine keeps its connection pool (`NativeForwarder.poolOf`). */
export interface Upstream {
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  /** `host:port` as the upstream expects it in `Host` when the host is rewritten. */
  readonly host: string;
  readonly secure: boolean;
  /** Requests sent and not yet finished; least-outstanding balancing reads it. */
  outstanding: number;
}

/** Keep-alive limits per upstream endpoint. */
export interface KeepAliveLimits {
  /** Connections open at once to one endpoint; further requests wait in the pool's queue. */
  readonly maxSockets: number;
  /** Idle keep-alive connections kept per endpoint. */
  readonly maxFreeSockets: number;
  /** An idle pooled connection is closed after this long, before the upstream closes it under us. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_KEEP_ALIVE: KeepAliveLimits = Object.freeze({ maxSockets: 1024, maxFreeSockets: 256, idleTimeoutMs: 30_000 });

/**
 * Upstream endpoints by origin, shared across table versions so a config change keeps their
 * outstanding counts and the engine's warm pools; an origin that leaves the config is retired
 * (`OriginRetirer`), which also retires the engine's pool (`Forwarder.retire`).
 */
export class UpstreamRegistry {
  private readonly byOrigin = new Map<string, Upstream>();
  private readonly byUrl = new Map<string, Upstream>();

  /** `limits` belong to the engine's pools (`createForwarder`); accepted here so callers need not change. */
  constructor(_limits: KeepAliveLimits = DEFAULT_KEEP_ALIVE) {}

  /** The endpoint for `url`, created on first use. */
  get(url: string): Upstream {
    const known = this.byUrl.get(url);
    if (known !== undefined) return known;
    const origin = new URL(url).origin;
    let upstream = this.byOrigin.get(origin);
    if (upstream === undefined) {
      upstream = createUpstream(origin);
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

  /** Forgets `origin` (it left the config); a later `get` of it starts afresh. */
  retire(origin: string): void {
    const upstream = this.byOrigin.get(origin);
    if (upstream === undefined) return;
    this.byOrigin.delete(origin);
    for (const [url, known] of this.byUrl) if (known === upstream) this.byUrl.delete(url);
  }

  /** Forgets every endpoint (shutdown; the engine closes its connections in `Forwarder.close`). */
  close(): void {
    this.byOrigin.clear();
    this.byUrl.clear();
  }
}

function createUpstream(origin: string): Upstream {
  const url = new URL(origin);
  const secure = url.protocol === 'https:';
  return {
    origin,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    host: url.host,
    secure,
    outstanding: 0,
  };
}
