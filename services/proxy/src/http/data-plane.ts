import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CompiledRollout, Decision } from '@graylane/routing';
import { Balancer, type LoadBalancingPolicy } from '../forward/balancer.js';
import type { ForwardOutcome, Forwarder } from '../forward/forwarder.js';
import type { UpstreamRegistry } from '../forward/upstream-pool.js';
import type { HealthView } from '../health/upstream-health.js';
import { statusClassOf, type MetricAggregator } from '../metrics/metric-aggregator.js';
import { poolHealthOf } from '../routing/pool-health.js';
import { rawErrorResponse, sendError } from './error-response.js';
import { hasBody, watchBody } from './body-watch.js';
import { DEFAULT_CLIENT_LIMITS, type ClientLimits } from './client-limits.js';
import { answerClientError, clientErrorOutcome, refuse } from './client-errors.js';
import { closeAfterAnswer } from './lingering-close.js';
import { afterPoll } from './after-poll.js';
import { requestProblem, type RequestProblem } from './request-checks.js';
import type { RequestErrorLog } from './request-error-log.js';
import { PendingDecision, RequestDecider } from '../routing/request-decider.js';
import { NodeRequestFacts } from '../routing/request-facts.js';
import type { TrustedProxies } from '../forward/trusted-proxies.js';
import type { TableHolder } from '../routing/table-holder.js';

export interface DataPlaneDeps {
  holder: TableHolder;
  upstreams: UpstreamRegistry;
  metrics: MetricAggregator;
  forwarder: Forwarder;
  health: HealthView;
  loadBalancing: LoadBalancingPolicy;
  /** session bindings, user sets, overrides and pool health around decide(); health only when absent */
  decider?: RequestDecider;
  /** `GRAYLANE_TRUSTED_PROXIES`: regions by CIDR and the IP sticky key use the client address they saw */
  trustedProxies?: TrustedProxies;
  /** How long a client may take over its request head and between body bytes; defaults when absent */
  clientLimits?: ClientLimits;
  /** Failed and refused requests, logged with their request id (rate-limited); silent when absent */
  errorLog?: RequestErrorLog;
}

/** The proxied-traffic server, not yet listening. */
export interface DataPlane {
  readonly server: Server;
  listen(options: { port: number; host: string }): Promise<void>;
  /** Stops accepting connections, closes idle ones, and resolves when the rest have ended. */
  close(): Promise<void>;
}

/** Idle keep-alive connections live longer than a typical load balancer's 60 s, so the LB closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** How often Node checks every connection's head against the header timeout, at most; the timeout is met within this. */
const MAX_HEADER_CHECK_INTERVAL_MS = 1_000;

/**
 * The proxied-traffic server: every method and path is matched to a rollout, decided, and
 * streamed to the chosen pool. Bodies are never parsed. It is a bare node:http server, not a
 * fastify app: every request is proxied, so a router would add cost and nothing else
 * (docs/decisions/0001-forwarding-engine.md). Node's parser rejects malformed requests, conflicting
 * Content-Length/Transfer-Encoding (400) and oversized headers (431) before this code runs; its
 * answers and what it lets through but RFC 9112 does not (request-checks.ts) close the connection
 * the way nginx does (lingering-close.ts).
 */
export function buildDataPlane(deps: DataPlaneDeps): DataPlane {
  // Keyed by a compiled pool's frozen upstream list: a new table version compiles new lists, so old balancers fall away.
  const balancers = new WeakMap<readonly string[], Balancer>();
  const decider = deps.decider ?? new RequestDecider({ health: poolHealthOf(deps.health) });
  const isHealthy = (origin: string): boolean => deps.health.isHealthy(origin);
  const balancerOf = (upstreams: readonly string[]): Balancer => {
    let found = balancers.get(upstreams);
    if (found === undefined) {
      found = new Balancer(
        upstreams.map((url) => deps.upstreams.get(url)),
        deps.loadBalancing,
        isHealthy,
      );
      balancers.set(upstreams, found);
    }
    return found;
  };

  // A version's latency is the engine's time from taking the request to the last byte of the
  // upstream's answer: the proxy's own waits (a Redis lookup) before it are not the version's.
  const record = (rollout: CompiledRollout, decision: Decision, outcome: ForwardOutcome, elapsedMs: number): void => {
    const status = 'status' in outcome ? outcome.status : undefined;
    deps.metrics.record(rollout.name, decision.side, decision.pool.name, statusClassOf(status), elapsedMs * 1000, decision.region);
  };

  const errorLog = deps.errorLog;
  const routingFailed = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    const message = `routing failed: ${error instanceof Error ? error.message : String(error)}`;
    errorLog?.failed(req, 500, {}, message);
    sendError(res, 500, 'GRAYLANE_INTERNAL', message);
  };
  const refused = (req: IncomingMessage, socket: Duplex, problem: RequestProblem): void => {
    errorLog?.refused(req, problem.status, {}, problem.message);
    refuse(socket, problem);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, version: number, rollout: CompiledRollout, decision: Decision): void => {
    const pool = decision.pool;
    deps.forwarder.forward(req, res, {
      balancer: balancerOf(pool.upstreams),
      pool: pool.name,
      responseHeaders: rollout.responseHeaders
        ? {
            'x-graylane-pool': pool.name,
            'x-graylane-reason': decision.reason,
            'x-graylane-config-version': String(version),
          }
        : undefined,
      onDone: (outcome, elapsedMs) => {
        if ('failure' in outcome && outcome.failure === 'client-aborted') return;
        record(rollout, decision, outcome, elapsedMs);
      },
    });
  };

  // One way through: the request's facts, the rollout they match, the lookups the local cache
  // cannot answer (if any), one decision, forward. A request that waits on Redis keeps the
  // rollout and table version it matched on arrival.
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    if (!deps.holder.hasConfig) {
      sendError(res, 503, 'GRAYLANE_UNAVAILABLE', 'graylane has not received any routing config yet');
      return;
    }
    const table = deps.holder.current;
    const facts = new NodeRequestFacts(req, deps.trustedProxies);
    const rollout = table.match(facts.host, facts.path);
    if (rollout === undefined) {
      sendError(res, 404, 'GRAYLANE_NOT_FOUND', `no rollout matches host "${facts.host}" and path "${facts.path}"`);
      return;
    }
    const step = decider.decide(rollout, facts);
    if (!(step instanceof PendingDecision)) {
      forward(req, res, table.version, rollout, step);
      return;
    }
    // The session binding or user-set membership is not cached: ask Redis (resolves by its deadline, never rejects).
    const version = table.version;
    void decider
      .lookUp(step)
      .then((answer) => {
        if (!req.destroyed) forward(req, res, version, rollout, decider.decidePending(step, answer));
      })
      .catch((error: unknown) => routingFailed(req, res, error));
  };

  // Routed once the poll pass that read them is over, so answers read in the same pass go out first (after-poll.ts).
  // A client that left in between needs nothing routed.
  const routeAfterPoll = afterPoll((req: IncomingMessage, res: ServerResponse): void => {
    if (req.destroyed) return;
    // A bare node:http listener that throws takes the process down; answer this request instead.
    try {
      route(req, res);
    } catch (error) {
      routingFailed(req, res, error);
    }
  });

  const limits = deps.clientLimits ?? DEFAULT_CLIENT_LIMITS;
  // Every method Node's parser knows (TRACE, PROPFIND, REPORT… included) is proxied, not answered
  // here, except CONNECT (below). No limit on receiving a whole request (requestTimeout 0: Node's
  // default cuts uploads at 300 s): a long upload streams to the upstream for as long as its bytes
  // keep coming (body-watch.ts). The head must arrive whole within the header timeout (slowloris).
  // The parser options are Node's defaults, set here so no runtime default can loosen them.
  const server = createServer(
    {
      requestTimeout: 0,
      headersTimeout: limits.headerTimeoutMs,
      connectionsCheckingInterval: Math.min(MAX_HEADER_CHECK_INTERVAL_MS, limits.headerTimeoutMs),
      insecureHTTPParser: false,
      requireHostHeader: true,
      joinDuplicateHeaders: false,
    },
    (req, res) => {
      const problem = requestProblem(req);
      if (problem !== undefined) {
        refused(req, req.socket, problem);
        return;
      }
      if (hasBody(req)) watchBody(req, res, limits);
      routeAfterPoll(req, res);
    },
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Parse errors (400, 431), the header timeout (408) and resets: answered, then a lingering close.
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // No request was parsed, so there is no id to give; the parser's code says what was wrong.
    const outcome = errorLog === undefined ? undefined : clientErrorOutcome(error);
    if (outcome !== undefined) errorLog?.refused(undefined, outcome.status, { code: error.code, client: (socket as { remoteAddress?: string }).remoteAddress }, outcome.message);
    answerClientError(error, socket);
  });
  // A forward proxy's tunnel is not graylane's job; without this listener Node closes the socket unanswered.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    closeAfterAnswer(socket, rawErrorResponse(501, 'GRAYLANE_VALIDATION', 'CONNECT is not supported: graylane is a reverse proxy'));
  });

  // WebSocket and other HTTP/1.1 upgrades are routed like any request and tunnelled.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const problem = requestProblem(req);
    if (problem !== undefined) {
      refused(req, socket, problem);
      return;
    }
    const facts = new NodeRequestFacts(req, deps.trustedProxies);
    const rollout = deps.holder.hasConfig ? deps.holder.current.match(facts.host, facts.path) : undefined;
    if (rollout === undefined) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    // Upgrades decide from the local cache only, so the handshake never waits on Redis: what it misses counts as unknown.
    const step = decider.decide(rollout, facts);
    const decision = step instanceof PendingDecision ? decider.decidePending(step) : step;
    const pool = decision.pool;
    deps.forwarder.upgrade(req, socket, head, {
      balancer: balancerOf(pool.upstreams),
      pool: pool.name,
      responseHeaders: undefined,
      onDone: (outcome, elapsedMs) => record(rollout, decision, outcome, elapsedMs),
    });
  });
  return {
    server,
    listen: ({ port, host }) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
