import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ResponseParser, type ResponseHead, type ResponseParseError, type ResponseSink } from './response-parser.js';
import type { TimeoutSweep } from './timeout-sweep.js';
import type { KeepAliveLimits, Upstream } from './upstream-pool.js';

/** Why an exchange on a connection failed. */
export type ConnectionFailure = 'connect' | 'timeout' | 'protocol';

/** The request currently using a connection; the connection reports to it. */
export interface ConnectionUser {
  /** The connection is open and assigned: write the request. */
  onConnection(connection: UpstreamConnection): void;
  onInformational(head: ResponseHead): void;
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  /** The response ended; the user hands the connection back with `release`. */
  onComplete(reusable: boolean, last?: Buffer): void;
  /** `answered`: some response byte had arrived, so the request must not be sent again. */
  onFailure(kind: ConnectionFailure, message: string, answered: boolean): void;
  /** The upstream socket drained after a write returned false. */
  onDrain(): void;
}

/** Timeouts in sweep ticks. */
export interface PoolTimeouts {
  connectTicks: number;
  responseTicks: number;
  idleTicks: number;
}

/**
 * Where plain TCP connections read their bytes, one buffer for all of them: Node then hands each
 * read straight to the parser, without a Buffer allocated per read or a trip through the socket's
 * stream machinery. Reads are handled one at a time on this thread, and what the parser hands on
 * is a view valid only during the call (ResponseSink): whoever keeps bytes longer copies them.
 * 64 KiB is Node's own read size.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * One keep-alive connection to an upstream: its socket, its own parser, and the user it serves.
 * Listeners are bound once per connection, not per request.
 */
export class UpstreamConnection implements ResponseSink {
  readonly socket: Socket;
  readonly parser: ResponseParser;
  user: ConnectionUser | undefined;
  connecting = true;
  /** Sweep tick of the last sign of life (connect start, bytes read or written), or of going idle. */
  lastTick: number;
  private answered = false;
  private closed = false;

  constructor(
    private readonly pool: NativePool,
    upstream: Upstream,
    private readonly sweep: TimeoutSweep,
  ) {
    this.lastTick = sweep.tick;
    this.parser = new ResponseParser(this);
    if (upstream.secure) {
      this.socket = tlsConnect({ host: upstream.hostname, port: upstream.port, servername: isIp(upstream.hostname) ? undefined : upstream.hostname });
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    } else {
      // Plain TCP reads into one buffer shared by every connection (see READ_BUFFER).
      this.socket = netConnect({
        host: upstream.hostname,
        port: upstream.port,
        onread: { buffer: READ_BUFFER, callback: (bytes, buffer) => this.onRead(bytes, buffer as Buffer) },
      });
    }
    this.socket.setNoDelay(true);
    this.socket.on(upstream.secure ? 'secureConnect' : 'connect', () => this.onConnect());
    this.socket.on('drain', () => this.user?.onDrain());
    this.socket.on('end', () => this.parser.end());
    this.socket.on('error', (error: Error) => this.failed('connect', error.message));
    this.socket.on('close', () => this.onClose());
  }

  /** Starts a new exchange: the parser expects one response. */
  begin(user: ConnectionUser, isHead: boolean): void {
    this.user = user;
    this.answered = false;
    this.lastTick = this.sweep.tick;
    this.parser.start(isHead);
  }

  /**
   * Writes request bytes; false when the socket's buffer is full (wait for onDrain). Strings are
   * heads, written as latin1 like Node's own client: Node's parser decoded the client's header
   * bytes as latin1, so this sends obs-text bytes on unchanged (UTF-8 would turn one into two).
   */
  write(data: string | Buffer): boolean {
    this.lastTick = this.sweep.tick;
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  /** Ends this connection and tells its user, if any, that its exchange failed (shutdown). */
  abandon(reason: string): void {
    // Counted as answered so that nothing is retried into pools that are closing too.
    this.answered = true;
    this.failed('connect', reason);
  }

  /** Ends this connection for good (error, abandoned exchange, retirement). */
  destroy(): void {
    this.user = undefined;
    this.parser.abort();
    this.socket.destroy();
  }

  /** Called by the sweep. */
  expire(tick: number, timeouts: PoolTimeouts): void {
    const silent = tick - this.lastTick;
    if (this.connecting) {
      if (silent >= timeouts.connectTicks) this.failed('connect', `connect timeout after ${timeouts.connectTicks * this.sweep.resolutionMs} ms`);
    } else if (this.user !== undefined) {
      // Paused by us because the client reads slowly: the upstream is not the one keeping quiet.
      if (this.socket.isPaused()) this.lastTick = tick;
      else if (silent >= timeouts.responseTicks) this.failed('timeout', `no answer within ${timeouts.responseTicks * this.sweep.resolutionMs} ms`);
    } else if (silent >= timeouts.idleTicks) {
      this.socket.destroy();
    }
  }

  onInformational(head: ResponseHead): void {
    this.user?.onInformational(head);
  }

  onHead(head: ResponseHead): void {
    this.user?.onHead(head);
  }

  onUpgrade(): void {
    // Upgrades get their own connection (native-upgrade.ts); a 101 here answers a plain request.
    this.failed('protocol', 'upstream switched protocols on a request that asked for no upgrade');
  }

  onBody(chunk: Buffer): void {
    this.user?.onBody(chunk);
  }

  onComplete(reusable: boolean, last?: Buffer): void {
    const user = this.user;
    if (user === undefined) return;
    user.onComplete(reusable, last);
  }

  onError(error: ResponseParseError): void {
    this.failed(error.empty ? 'connect' : 'protocol', error.message);
  }

  private onConnect(): void {
    this.connecting = false;
    this.lastTick = this.sweep.tick;
    this.pool.connected(this);
  }

  /** Backpressure pauses the socket itself (the exchange), so a read never asks Node to pause. */
  private onRead(bytes: number, buffer: Buffer): true {
    this.onData(buffer.subarray(0, bytes));
    return true;
  }

  private onData(chunk: Buffer): void {
    this.lastTick = this.sweep.tick;
    this.answered = true;
    this.parser.push(chunk);
  }

  /** Reports the failure to the user, once, and destroys the connection: it is never reused. */
  private failed(kind: ConnectionFailure, message: string): void {
    const user = this.user;
    const answered = this.answered;
    this.destroy();
    user?.onFailure(kind, message, answered);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.user !== undefined) this.failed('connect', 'upstream closed the connection');
    this.pool.closed(this);
  }
}

function isIp(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(':');
}

/**
 * The keep-alive connections to one endpoint: at most `maxSockets` open (further requests wait
 * in a FIFO queue), at most `maxFreeSockets` idle, the warmest reused first (LIFO), idle ones
 * closed after `idleTimeoutMs`. A connection goes back to the pool only after a complete response
 * that allows reuse and a request sent whole; anything else destroys it.
 */
export class NativePool {
  private readonly idle: UpstreamConnection[] = [];
  /** Every open connection, busy or idle, for the sweep. */
  readonly connections = new Set<UpstreamConnection>();
  private readonly queue: { user: ConnectionUser; isHead: boolean }[] = [];
  private retired = false;
  private onEmpty: (() => void) | undefined;

  constructor(
    private readonly upstream: Upstream,
    private readonly limits: KeepAliveLimits,
    private readonly sweep: TimeoutSweep,
  ) {}

  /** Gives `user` a connection now (idle one), once connected (new one), or when one frees up. */
  acquire(user: ConnectionUser, isHead: boolean): void {
    const warm = this.idle.pop();
    if (warm !== undefined) {
      warm.begin(user, isHead);
      user.onConnection(warm);
      return;
    }
    if (this.connections.size < this.limits.maxSockets) {
      const connection = new UpstreamConnection(this, this.upstream, this.sweep);
      this.connections.add(connection);
      connection.begin(user, isHead);
      return;
    }
    this.queue.push({ user, isHead });
  }

  /** Forgets a queued user (its client left before a connection came free). */
  cancel(user: ConnectionUser): void {
    const index = this.queue.findIndex((entry) => entry.user === user);
    if (index !== -1) this.queue.splice(index, 1);
  }

  /** Takes a connection back after its exchange; `reusable` false destroys it. */
  release(connection: UpstreamConnection, reusable: boolean): void {
    connection.user = undefined;
    if (!reusable || this.retired) {
      connection.destroy();
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) {
      connection.begin(next.user, next.isHead);
      next.user.onConnection(connection);
      return;
    }
    if (this.idle.length >= this.limits.maxFreeSockets) {
      connection.destroy();
      return;
    }
    connection.lastTick = this.sweep.tick;
    this.idle.push(connection);
  }

  /** A new connection is open: its user may write. */
  connected(connection: UpstreamConnection): void {
    const user = connection.user;
    if (user === undefined) this.release(connection, true);
    else user.onConnection(connection);
  }

  /** A connection closed, for whatever reason: forget it, and open another for a waiting request. */
  closed(connection: UpstreamConnection): void {
    this.connections.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index !== -1) this.idle.splice(index, 1);
    const next = this.queue.shift();
    if (next !== undefined) this.acquire(next.user, next.isHead);
    if (this.connections.size === 0) this.onEmpty?.();
  }

  /** Called by the engine's sweep. */
  expire(tick: number, timeouts: PoolTimeouts): void {
    for (const connection of this.connections) connection.expire(tick, timeouts);
  }

  /** Closes idle connections now and busy ones as their exchange ends; resolves when none is left. */
  retire(): Promise<void> {
    this.retired = true;
    for (const connection of this.idle.splice(0)) connection.destroy();
    if (this.connections.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.onEmpty = resolve));
  }

  /** Closes every connection now (shutdown). */
  close(): void {
    this.retired = true;
    for (const entry of this.queue.splice(0)) entry.user.onFailure('connect', 'graylane is shutting down', true);
    // Users still waiting for an answer hear of it, so their clients get a 502 instead of silence.
    for (const connection of this.connections) connection.abandon('graylane is shutting down');
  }
}
