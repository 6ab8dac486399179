import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ForwardTarget } from './forwarder.js';
import { ForwardFinish } from './forward-finish.js';
import { upstreamRequestHeaders } from './forwarded-headers.js';
import { gatewayError } from './gateway-error.js';
import { sendError } from '../http/error-response.js';
import type { ConnectionFailure, ConnectionUser, NativePool, UpstreamConnection } from './native-pool.js';
import type { ForwarderSettings } from './forwarder-settings.js';
import { requestBodyFraming, requestHead, type RequestBodyFraming } from './request-head.js';
import type { ResponseHead } from './response-parser.js';
import { isRetryable } from './retry-budget.js';
import type { Upstream } from './upstream-pool.js';

/** Where a request's and a response's emitter finds its exchange, so listeners are shared functions, not closures per request. */
const EXCHANGE = Symbol('graylane.exchange');
type WithExchange = { [EXCHANGE]?: NativeExchange };

function exchangeOf(emitter: unknown): NativeExchange | undefined {
  return (emitter as WithExchange)[EXCHANGE];
}
function onRequestData(this: IncomingMessage, chunk: Buffer): void {
  exchangeOf(this)?.requestData(chunk);
}
function onRequestEnd(this: IncomingMessage): void {
  exchangeOf(this)?.requestEnd();
}
function onResponseDrain(this: ServerResponse): void {
  exchangeOf(this)?.responseDrained();
}
function onClientClose(this: ServerResponse): void {
  exchangeOf(this)?.clientClosed();
}

/** What an exchange needs from its engine. */
export interface ExchangeEngine {
  readonly settings: ForwarderSettings;
  poolOf(upstream: Upstream): NativePool;
}

/**
 * One forwarded request on the native engine, from taking it to its end: picks an endpoint, gets
 * a pooled connection, writes the head in one write and streams the body with backpressure, turns
 * the parsed response into the client's, retries a bodiless idempotent request once on another
 * endpoint if no byte came back, and ends exactly once. One object per request; the listeners it
 * adds are shared functions that find it on the emitter.
 */
export class NativeExchange implements ConnectionUser {
  private connection: UpstreamConnection | undefined;
  private pool: NativePool | undefined;
  private upstream: Upstream | undefined;
  private claimed = false;
  private isRetry = false;
  private status = 0;
  private headSent = false;
  private bodyDone: boolean;
  private readonly framing: RequestBodyFraming;
  private readonly retryable: boolean;
  private readonly finish: ForwardFinish;
  private resDrainHooked = false;
  private bodyHooked = false;

  constructor(
    private readonly engine: ExchangeEngine,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly target: ForwardTarget,
  ) {
    const started = performance.now();
    this.framing = requestBodyFraming(req.headers);
    this.bodyDone = this.framing === 'none';
    this.retryable = isRetryable(req.method, req.headers);
    engine.settings.retryBudget.noteRequest();
    this.finish = new ForwardFinish(engine.settings, target, started);
    (req as WithExchange)[EXCHANGE] = this;
    (res as WithExchange)[EXCHANGE] = this;
    res.on('close', onClientClose);
  }

  /** Sends the request to the balancer's pick. */
  start(): void {
    this.attempt(this.target.balancer.pick());
  }

  private attempt(upstream: Upstream): void {
    this.upstream = upstream;
    upstream.outstanding += 1;
    this.claimed = true;
    this.pool = this.engine.poolOf(upstream);
    this.pool.acquire(this, this.req.method === 'HEAD');
  }

  /** Counts the request off `upstream.outstanding`, once per attempt. */
  private unclaim(): void {
    if (!this.claimed) return;
    this.claimed = false;
    (this.upstream as Upstream).outstanding -= 1;
  }

  onConnection(connection: UpstreamConnection): void {
    this.connection = connection;
    const { req, engine } = this;
    const upstream = this.upstream as Upstream;
    const headers = upstreamRequestHeaders(req, upstream, engine.settings.hostMode, engine.settings.trusted);
    connection.write(requestHead(req.method ?? 'GET', req.url ?? '/', headers, this.framing, upstream.host));
    if (this.bodyDone || this.bodyHooked) return;
    this.bodyHooked = true;
    req.on('data', onRequestData);
    req.on('end', onRequestEnd);
  }

  /** A piece of the client's body: on to the upstream, re-chunked if the client chunked it. */
  requestData(chunk: Buffer): void {
    const connection = this.connection;
    if (connection === undefined) return;
    let flushed: boolean;
    if (this.framing === 'chunked') {
      connection.socket.cork();
      connection.write(`${chunk.length.toString(16)}\r\n`);
      connection.write(chunk);
      flushed = connection.write('\r\n');
      connection.socket.uncork();
    } else {
      flushed = connection.write(chunk);
    }
    if (!flushed) this.req.pause();
  }

  requestEnd(): void {
    if (this.framing === 'chunked') this.connection?.write('0\r\n\r\n');
    this.bodyDone = true;
  }

  onDrain(): void {
    if (this.req.isPaused()) this.req.resume();
  }

  onInformational(head: ResponseHead): void {
    // 100 Continue was already answered to the client by Node's server (Expect is not forwarded);
    // 103 Early Hints goes on with its Link fields; other 1xx are dropped.
    if (head.status !== 103 || this.req.httpVersionMinor < 1) return;
    const links: string[] = [];
    for (let i = 0; i < head.headers.length; i += 2) if ((head.headers[i] as string).toLowerCase() === 'link') links.push(head.headers[i + 1] as string);
    if (links.length === 0) return;
    try {
      this.res.writeEarlyHints({ link: links });
    } catch {
      // Node refuses a Link value it cannot vouch for: the hint is dropped, the answer is not.
    }
  }

  onHead(head: ResponseHead): void {
    // The parser left hop-by-hop fields out already; only names listed in Connection remain to drop.
    const out = head.connectionTokens === undefined ? head.headers : withoutListed(head.headers, head.connectionTokens);
    const extra = this.target.responseHeaders;
    if (extra !== undefined) for (const name in extra) out.push(name, String(extra[name]));
    try {
      this.res.writeHead(head.status, out);
    } catch (error) {
      // Node validates again what the parser let through, and the proxy's own response headers;
      // should it refuse, a throw here would escape a socket listener and end the process. That
      // is the proxy's failure, not the upstream's: answer 500 and leave the endpoint's health alone.
      this.proxyFailed(`the proxy could not write the response: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.status = head.status;
    this.headSent = true;
  }

  onBody(chunk: Buffer): void {
    // A view of the connection's read buffer (native-pool.ts): Node may hold what it is given until the client reads it.
    if (this.res.write(Buffer.from(chunk))) return;
    // The client reads slower than the upstream sends: stop reading the upstream until it drains.
    this.connection?.socket.pause();
    if (!this.resDrainHooked) {
      this.resDrainHooked = true;
      this.res.on('drain', onResponseDrain);
    }
  }

  responseDrained(): void {
    this.connection?.socket.resume();
  }

  onComplete(reusable: boolean, last?: Buffer): void {
    const connection = this.connection as UpstreamConnection;
    this.connection = undefined;
    this.unclaim();
    if (connection.socket.isPaused()) connection.socket.resume();
    // A request body not sent whole leaves the connection mid-message: it cannot carry another.
    if (!this.bodyDone) this.stopBody();
    (this.pool as NativePool).release(connection, reusable && this.bodyDone);
    endResponse(this.res, last);
    this.finish.done({ status: this.status }, this.upstream);
  }

  onFailure(kind: ConnectionFailure, message: string, answered: boolean): void {
    this.connection = undefined;
    this.unclaim();
    if (this.finish.finished) return;
    const upstream = this.upstream as Upstream;
    const { settings } = this.engine;
    // Only a request without a body that got no answer is sent again: its replay cannot differ.
    if (kind === 'connect' && !answered && !this.headSent && this.retryable && !this.isRetry && settings.retryBudget.tryRetry()) {
      settings.recordOutcome(upstream.origin, true);
      this.isRetry = true;
      this.attempt(this.target.balancer.pick(upstream));
      return;
    }
    this.stopBody();
    const { pool } = this.target;
    const status = kind === 'timeout' ? 504 : 502;
    const said =
      kind === 'timeout'
        ? `upstream did not answer in time: ${message}`
        : kind === 'protocol'
          ? `upstream sent an invalid response: ${message}`
          : `upstream unavailable: ${message}`;
    // After the head went out the client sees a cut connection, not this status; the log says which.
    settings.errorLog?.failed(this.req, status, { pool, upstream: upstream.origin, responseStarted: this.headSent }, said);
    gatewayError(this.res, status, pool, upstream.origin, said);
    this.finish.done({ failure: kind === 'timeout' ? 'timeout' : 'connect' }, upstream);
  }

  private proxyFailed(message: string): void {
    const connection = this.connection;
    this.connection = undefined;
    connection?.destroy();
    this.unclaim();
    this.stopBody();
    this.engine.settings.errorLog?.failed(this.req, 500, { pool: this.target.pool, upstream: this.upstream?.origin }, message);
    sendError(this.res, 500, 'GRAYLANE_INTERNAL', message, { pool: this.target.pool });
    this.finish.done({ failure: 'proxy' }, this.upstream);
  }

  private stopBody(): void {
    if (!this.bodyHooked) return;
    this.req.off('data', onRequestData);
    this.req.off('end', onRequestEnd);
    // Node's server discards what is left of the body once the response is done.
    this.req.resume();
  }

  /** A client that goes away frees the upstream connection instead of leaving it waiting. */
  clientClosed(): void {
    if (this.res.writableFinished || this.finish.finished) return;
    const connection = this.connection;
    this.connection = undefined;
    if (connection !== undefined) connection.destroy();
    else this.pool?.cancel(this);
    this.unclaim();
    this.stopBody();
    this.finish.done({ failure: 'client-aborted' }, undefined);
  }
}

/**
 * Below this, the body's last piece goes to the client as a latin1 string, not a Buffer: Node's
 * server then sends head and body as one string in one write, where a Buffer makes it a corked
 * two-part writev (the head as a string, the body as a Buffer) with more bookkeeping in
 * JavaScript per response. Latin1 maps each byte to one character and back, so the bytes are
 * unchanged. Node's stream layer writes a string of up to 16 KiB straight from a stack buffer;
 * a larger piece is copied into a Buffer of its own instead.
 */
const LAST_PIECE_AS_STRING_BYTES = 16 * 1024;

/** Ends `res` with the body's last piece, if any (a view of a read buffer, so copied either way), in the cheapest single write. */
function endResponse(res: ServerResponse, last: Buffer | undefined): void {
  if (last === undefined) res.end();
  else if (last.length > LAST_PIECE_AS_STRING_BYTES) res.end(Buffer.from(last));
  else res.end(last.toString('latin1'), 'latin1');
}

/** `headers` without the fields `Connection` named (`listed` is lower-case). */
function withoutListed(headers: string[], listed: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (!listed.includes(name.toLowerCase())) out.push(name, headers[i + 1] as string);
  }
  return out;
}
