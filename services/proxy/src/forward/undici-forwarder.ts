import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { ForwardOutcome, Forwarder, ForwardTarget } from './forwarder.js';
import { claimUpstream, ForwardFinish } from './forward-finish.js';
import { upstreamRequestHeaders } from './forwarded-headers.js';
import { sendError } from '../http/error-response.js';
import { fail, NodeHttpForwarder, type NodeForwarderSettings } from './http-forwarder.js';
import { isRetryable } from './retry-budget.js';
import type { KeepAliveLimits, Upstream } from './upstream-pool.js';

/** Response headers a proxy must not pass on (RFC 9110 §7.6.1), lower-case. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** undici error codes that mean no byte of the request reached the upstream's application. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** The upstream's raw response headers without hop-by-hop ones and those named in its `Connection`, as a flat [name, value, …] list. */
function endToEndRaw(raw: Buffer[]): string[] {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as Buffer).length === 10 && (raw[i] as Buffer).toString('latin1').toLowerCase() === 'connection') {
      listed = new Set(
        (raw[i + 1] as Buffer)
          .toString('latin1')
          .split(',')
          .map((t) => t.trim().toLowerCase()),
      );
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower) === true) continue;
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  return out;
}

/**
 * The undici engine: one `Pool` per upstream endpoint, driven through `dispatch` so response
 * bytes go straight to the client with backpressure and no intermediate stream objects.
 * Upgrades (WebSocket) go through the node:http engine, whose tunnel is simpler.
 */
export class UndiciForwarder implements Forwarder {
  private readonly pools = new Map<string, Pool>();
  private readonly tunnels: NodeHttpForwarder;

  constructor(
    private readonly settings: NodeForwarderSettings,
    private readonly limits: KeepAliveLimits,
  ) {
    this.tunnels = new NodeHttpForwarder(settings);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ForwardTarget): void {
    this.tunnels.upgrade(req, socket, head, target);
  }

  /** Closes every pool (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
    this.pools.clear();
  }

  /** Closes the pool of an origin that left the config: `close` lets its requests finish, then ends its connections. */
  async retire(origin: string): Promise<void> {
    const pool = this.pools.get(origin);
    if (pool === undefined) return;
    this.pools.delete(origin);
    await pool.close();
  }

  private poolOf(upstream: Upstream): Pool {
    let pool = this.pools.get(upstream.origin);
    if (pool === undefined) {
      pool = new Pool(upstream.origin, {
        connections: this.limits.maxSockets,
        pipelining: 1,
        keepAliveTimeout: this.limits.idleTimeoutMs,
        connect: { timeout: this.settings.connectTimeoutMs },
        headersTimeout: this.settings.responseTimeoutMs,
        bodyTimeout: this.settings.responseTimeoutMs,
      });
      this.pools.set(upstream.origin, pool);
    }
    return pool;
  }

  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void {
    const started = performance.now();
    const { settings } = this;
    const retryable = isRetryable(req.method, req.headers);
    settings.retryBudget.noteRequest();
    const finish = new ForwardFinish(settings, target, started);
    let abortCurrent: ((error?: Error) => void) | undefined;
    const done = (outcome: ForwardOutcome, upstream: Upstream | undefined): void => finish.done(outcome, upstream);

    // A client that goes away frees the upstream connection instead of leaving it waiting.
    res.on('close', () => {
      if (res.writableFinished || finish.finished) return;
      abortCurrent?.(new Error('client went away'));
      done({ failure: 'client-aborted' }, undefined);
    });

    const attempt = (upstream: Upstream, isRetry: boolean): void => {
      const release = claimUpstream(upstream);
      const headers = upstreamRequestHeaders(req, upstream, settings.hostMode, settings.trusted);
      // undici sends 100-continue handling itself and refuses the header; Node's server already answered it.
      delete headers.expect;
      let status = 0;
      const handler: Dispatcher.DispatchHandlers = {
        onConnect: (abort) => {
          abortCurrent = abort;
        },
        onHeaders: (statusCode, raw, resume) => {
          if (statusCode < 200) return true; // 1xx informational: wait for the final answer
          status = statusCode;
          const out = endToEndRaw(raw);
          if (target.responseHeaders !== undefined) {
            for (const [name, value] of Object.entries(target.responseHeaders)) out.push(name, String(value));
          }
          try {
            res.writeHead(statusCode, out);
          } catch (error) {
            // The proxy could not write what it got (a header value Node refuses): its own failure,
            // finished before the abort so that onError does not count it against the upstream.
            done({ failure: 'proxy' }, upstream);
            sendError(res, 500, 'GRAYLANE_INTERNAL', `the proxy could not write the response: ${(error as Error).message}`, { pool: target.pool });
            abortCurrent?.(error as Error);
            return false;
          }
          res.on('drain', resume);
          return true;
        },
        onData: (chunk) => res.write(chunk),
        onComplete: () => {
          release();
          res.end();
          done({ status }, upstream);
        },
        onError: (error) => {
          release();
          if (finish.finished) return;
          const code = (error as { code?: string }).code ?? '';
          const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
          const connectFailure = CONNECT_ERRORS.has(code) || (error as { errno?: unknown }).errno !== undefined;
          // Only a request without a body that got no answer is sent again: its replay cannot differ.
          if (connectFailure && retryable && !isRetry && !res.headersSent && settings.retryBudget.tryRetry()) {
            settings.recordOutcome(upstream.origin, true);
            attempt(target.balancer.pick(upstream), true);
            return;
          }
          if (timedOut) fail(res, 504, target.pool, upstream.origin, `upstream did not answer in time: ${error.message}`);
          else fail(res, 502, target.pool, upstream.origin, `upstream unavailable: ${error.message}`);
          done({ failure: timedOut ? 'timeout' : 'connect' }, upstream);
        },
      };
      this.poolOf(upstream).dispatch(
        {
          path: req.url ?? '/',
          method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
          headers: headers as Record<string, string | string[]>,
          body: retryable ? null : req,
        },
        handler,
      );
    };

    attempt(target.balancer.pick(), false);
  }
}
