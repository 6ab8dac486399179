import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Balancer } from './balancer.js';

/**
 * How a forwarded request ended: the upstream's status, or why there was none. `proxy` is a
 * failure of the proxy itself (it could not write the answer it got): never the upstream's fault,
 * so it never counts against the upstream's health.
 */
export type ForwardOutcome = { status: number } | { failure: 'connect' | 'timeout' | 'client-aborted' | 'proxy' };

/** Where one request goes and what to do when it is over. */
export interface ForwardTarget {
  /** The chosen pool's endpoints. */
  balancer: Balancer;
  /** Pool name, named in the error body of a 502/504 and in metrics. */
  pool: string;
  /** Headers added to the response (x-graylane-*), or undefined. */
  responseHeaders: OutgoingHttpHeaders | undefined;
  /** Called once, with how long the engine took from taking the request to its end (ms). */
  onDone: (outcome: ForwardOutcome, elapsedMs: number) => void;
}

/**
 * The forwarding engine, kept behind this interface so engines can be measured against each
 * other (docs/decisions/0003-own-upstream-client.md). An engine streams both bodies, never buffers,
 * removes hop-by-hop headers both ways, sets X-Forwarded-* and Via, answers 502/504 naming the
 * pool, and frees the upstream connection when the client goes away.
 */
export interface Forwarder {
  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void;
  /** Tunnels an HTTP/1.1 Upgrade (WebSocket) to the upstream. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ForwardTarget): void;
  /** Closes pooled upstream connections the engine owns (shutdown). */
  close(): Promise<void>;
  /**
   * Closes what the engine keeps for `origin`, which left the config: idle connections at once,
   * busy ones when their request ends. A later request to it starts a new pool.
   */
  retire(origin: string): Promise<void>;
}

/**
 * The engines to choose from with GRAYLANE_FORWARDING_ENGINE, the default first. undici and
 * node:http were removed: they cost more CPU per request and passed malformed upstream framing on
 * (docs/decisions/0003-own-upstream-client.md). A new engine is measured by adding it here.
 */
export const ENGINES = ['native'] as const;
export type ForwardingEngine = (typeof ENGINES)[number];
