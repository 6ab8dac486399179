import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorBody, sendError } from '../http/error-response.js';
import type { ForwardOutcome, Forwarder, ForwardTarget } from './forwarder.js';
import { claimUpstream, ForwardFinish } from './forward-finish.js';
import { upstreamRequestHeaders, type HostMode } from './forwarded-headers.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { isRetryable, type RetryBudget } from './retry-budget.js';
import type { RequestStats } from './request-stats.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { Upstream } from './upstream-pool.js';

/** Settings shared by every forwarded request. */
export interface NodeForwarderSettings {
  /** A TCP connect to an upstream that takes longer fails (and may be retried elsewhere). */
  connectTimeoutMs: number;
  /** An upstream silent for this long (no response bytes) gets the client a 504. */
  responseTimeoutMs: number;
  hostMode: HostMode;
  trusted: TrustedProxies;
  retryBudget: RetryBudget;
  /** Passive outlier ejection hears every exchange: `failed` for a 5xx or no connection. */
  recordOutcome: (origin: string, failed: boolean) => void;
  stats: RequestStats;
}

/** Why an attempt failed before any response byte arrived. */
class AttemptFailure extends Error {
  constructor(
    readonly kind: 'connect' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The node:http engine: one keep-alive `Agent` per upstream endpoint, `pipe` both ways. The
 * alternative to the default undici engine; see docs/decisions/0001-forwarding-engine.md.
 */
export class NodeHttpForwarder implements Forwarder {
  constructor(private readonly settings: NodeForwarderSettings) {}

  /** The keep-alive agents belong to the UpstreamRegistry, which closes them. */
  async close(): Promise<void> {}

  /** The agents belong to the UpstreamRegistry, which retires them (`UpstreamRegistry.retire`); this engine keeps nothing else per origin. */
  async retire(): Promise<void> {}

  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void {
    const started = performance.now();
    const { settings } = this;
    const retryable = isRetryable(req.method, req.headers);
    settings.retryBudget.noteRequest();
    const finish = new ForwardFinish(settings, target, started);
    let current: ClientRequest | undefined;
    const done = (outcome: ForwardOutcome, upstream: Upstream | undefined): void => finish.done(outcome, upstream);

    // A client that goes away frees the upstream connection instead of leaving it waiting.
    res.on('close', () => {
      if (res.writableFinished || finish.finished) return;
      current?.destroy();
      done({ failure: 'client-aborted' }, undefined);
    });

    const attempt = (upstream: Upstream, isRetry: boolean): void => {
      const release = claimUpstream(upstream);
      const upstreamReq = (upstream.secure ? httpsRequest : httpRequest)({
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: upstreamRequestHeaders(req, upstream, settings.hostMode, settings.trusted),
        agent: upstream.agent,
        timeout: settings.responseTimeoutMs,
      });
      current = upstreamReq;
      upstreamReq.on('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => upstreamReq.destroy(new AttemptFailure('connect', `connect timeout after ${settings.connectTimeoutMs} ms`)), settings.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });

      upstreamReq.on('response', (upstreamRes) => {
        const out = endToEndHeaders(upstreamRes.headers);
        if (target.responseHeaders !== undefined) Object.assign(out, target.responseHeaders);
        const status = upstreamRes.statusCode ?? 502;
        try {
          res.writeHead(status, out);
        } catch (error) {
          // The proxy could not write what it got (a header value Node refuses): its own failure.
          release();
          upstreamRes.destroy();
          done({ failure: 'proxy' }, upstream);
          sendError(res, 500, 'GRAYLANE_INTERNAL', `the proxy could not write the response: ${(error as Error).message}`, { pool: target.pool });
          return;
        }
        upstreamRes.pipe(res);
        upstreamRes.on('end', () => {
          release();
          done({ status }, upstream);
        });
        upstreamRes.on('error', () => {
          release();
          res.destroy();
          done({ failure: 'connect' }, upstream);
        });
        upstreamRes.on('close', release);
      });

      upstreamReq.on('timeout', () => upstreamReq.destroy(new AttemptFailure('timeout', `no answer within ${settings.responseTimeoutMs} ms`)));

      upstreamReq.on('error', (error) => {
        release();
        if (finish.finished) return;
        const kind = error instanceof AttemptFailure ? error.kind : 'connect';
        // Only a request without a body that got no answer is sent again: its replay cannot differ.
        if (kind === 'connect' && retryable && !isRetry && !res.headersSent && settings.retryBudget.tryRetry()) {
          settings.recordOutcome(upstream.origin, true);
          attempt(target.balancer.pick(upstream), true);
          return;
        }
        if (kind === 'timeout') fail(res, 504, target.pool, upstream.origin, `upstream did not answer in time: ${error.message}`);
        else fail(res, 502, target.pool, upstream.origin, `upstream unavailable: ${error.message}`);
        done({ failure: kind }, upstream);
      });

      if (retryable) upstreamReq.end();
      else req.pipe(upstreamReq);
    };

    attempt(target.balancer.pick(), false);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ForwardTarget): void {
    const started = performance.now();
    const { settings } = this;
    const upstream = target.balancer.pick();
    const headers = upstreamRequestHeaders(req, upstream, settings.hostMode, settings.trusted);
    // Upgrade and Connection are hop-by-hop, but an upgrade must name them to the next hop too.
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade;
    let finished = false;
    const done = (outcome: ForwardOutcome): void => {
      if (finished) return;
      finished = true;
      const elapsedMs = performance.now() - started;
      settings.stats.record(target.pool, outcome, elapsedMs);
      target.onDone(outcome, elapsedMs);
    };
    const upstreamReq = (upstream.secure ? httpsRequest : httpRequest)({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      // A tunnel owns its connection for its whole life; it never goes back to the keep-alive pool.
      agent: false,
      timeout: settings.connectTimeoutMs + settings.responseTimeoutMs,
    });
    socket.on('error', () => upstreamReq.destroy());
    upstreamReq.on('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
      upstreamSocket.setTimeout(0);
      const lines = [`HTTP/1.1 101 ${upstreamRes.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < upstreamRes.rawHeaders.length; i += 2) lines.push(`${upstreamRes.rawHeaders[i]}: ${upstreamRes.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      upstreamSocket.pipe(socket).pipe(upstreamSocket);
      upstreamSocket.on('error', () => socket.destroy());
      socket.on('close', () => upstreamSocket.destroy());
      upstreamSocket.on('close', () => socket.destroy());
      settings.recordOutcome(upstream.origin, false);
      done({ status: 101 });
    });
    upstreamReq.on('response', (upstreamRes) => {
      // The upstream declined the upgrade: pass its answer on and close.
      const lines = [`HTTP/1.1 ${upstreamRes.statusCode ?? 502} ${upstreamRes.statusMessage ?? ''}`, 'connection: close'];
      const out = endToEndHeaders(upstreamRes.headers);
      for (const [name, value] of Object.entries(out)) lines.push(`${name}: ${String(value)}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstreamRes.pipe(socket);
      done({ status: upstreamRes.statusCode ?? 502 });
    });
    upstreamReq.on('timeout', () => upstreamReq.destroy(new AttemptFailure('timeout', 'upgrade not answered in time')));
    upstreamReq.on('error', (error) => {
      if (finished) return;
      const kind = error instanceof AttemptFailure ? error.kind : 'connect';
      settings.recordOutcome(upstream.origin, true);
      const body = JSON.stringify(errorBody('GRAYLANE_UNAVAILABLE', `upstream unavailable: ${error.message}`, { pool: target.pool, upstream: upstream.origin }));
      const status = kind === 'timeout' ? '504 Gateway Timeout' : '502 Bad Gateway';
      socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      done({ failure: kind });
    });
    upstreamReq.end();
  }
}

/** Answers `status` with a JSON body naming the pool and endpoint, or cuts the response if it already started. */
export function fail(res: ServerResponse, status: number, pool: string, upstream: string, message: string): void {
  sendError(res, status, 'GRAYLANE_UNAVAILABLE', message, { pool, upstream });
}
