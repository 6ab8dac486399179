import { request as httpRequest, type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { endToEndHeaders } from './hop-by-hop.js';
import type { Upstream } from './upstream-pool.js';

/** How a forwarded request ended: the upstream's status, or why there was none. */
export type ForwardOutcome = { status: number } | { failure: 'connect' | 'timeout' | 'client-aborted' };

export interface ForwardOptions {
  upstream: Upstream;
  /** Pool name, named in the error body of a 502/504. */
  pool: string;
  timeoutMs: number;
  /** Headers added to the response (x-graylane-*), or undefined. */
  responseHeaders: OutgoingHttpHeaders | undefined;
  onDone: (outcome: ForwardOutcome) => void;
}

/**
 * Streams `req` to the upstream and the upstream's response back to `res`, without buffering
 * either body. Hop-by-hop headers are dropped both ways; X-Forwarded-* and Via are set.
 */
export function forward(req: IncomingMessage, res: ServerResponse, options: ForwardOptions): void {
  const { upstream } = options;
  const headers = endToEndHeaders(req.headers);
  const clientIp = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior === undefined ? clientIp : `${String(prior)}, ${clientIp}`;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-host'] ??= req.headers.host;
  headers.via = req.headers.via === undefined ? '1.1 graylane' : `${req.headers.via}, 1.1 graylane`;

  let finished = false;
  const done = (outcome: ForwardOutcome): void => {
    if (finished) return;
    finished = true;
    options.onDone(outcome);
  };

  const upstreamReq = (upstream.secure ? httpsRequest : httpRequest)({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers,
    agent: upstream.agent,
    timeout: options.timeoutMs,
  });

  upstreamReq.on('response', (upstreamRes) => {
    const out = endToEndHeaders(upstreamRes.headers);
    if (options.responseHeaders !== undefined) Object.assign(out, options.responseHeaders);
    res.writeHead(upstreamRes.statusCode ?? 502, out);
    upstreamRes.pipe(res);
    upstreamRes.on('end', () => done({ status: upstreamRes.statusCode ?? 502 }));
    upstreamRes.on('error', () => {
      res.destroy();
      done({ failure: 'connect' });
    });
  });

  upstreamReq.on('timeout', () => {
    upstreamReq.destroy(new Error('upstream timeout'));
    fail(res, 504, options.pool, upstream.origin, 'upstream did not answer in time');
    done({ failure: 'timeout' });
  });

  upstreamReq.on('error', (error) => {
    if (finished) return;
    fail(res, 502, options.pool, upstream.origin, `upstream unavailable: ${error.message}`);
    done({ failure: 'connect' });
  });

  // A client that goes away frees the upstream connection instead of leaving it waiting.
  res.on('close', () => {
    if (!res.writableFinished) {
      upstreamReq.destroy();
      done({ failure: 'client-aborted' });
    }
  });

  req.pipe(upstreamReq);
}

function fail(res: ServerResponse, status: number, pool: string, upstream: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message, pool, upstream });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
