import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Forwarder, ForwardTarget } from './forwarder.js';
import type { ForwarderSettings } from './forwarder-settings.js';
import { NativeExchange, type ExchangeEngine } from './native-exchange.js';
import { NativePool, type PoolTimeouts } from './native-pool.js';
import { tunnelUpgrade } from './native-upgrade.js';
import { TimeoutSweep } from './timeout-sweep.js';
import type { KeepAliveLimits, Upstream } from './upstream-pool.js';

/**
 * The native engine: graylane's own HTTP/1.1 client on `node:net` (docs/decisions/0003-own-upstream-client.md).
 * One keep-alive pool per endpoint, the request head written once, a strict response parser,
 * both bodies streamed with backpressure, and every timeout swept by one coarse clock.
 */
export class NativeForwarder implements Forwarder, ExchangeEngine {
  private readonly pools = new Map<string, NativePool>();
  private readonly sweep: TimeoutSweep;
  private readonly timeouts: PoolTimeouts;

  constructor(
    readonly settings: ForwarderSettings,
    private readonly limits: KeepAliveLimits,
  ) {
    this.sweep = new TimeoutSweep(Math.min(settings.connectTimeoutMs, settings.responseTimeoutMs, limits.idleTimeoutMs), (tick) => {
      for (const pool of this.pools.values()) pool.expire(tick, this.timeouts);
    });
    this.timeouts = {
      connectTicks: this.sweep.ticksFor(settings.connectTimeoutMs),
      responseTicks: this.sweep.ticksFor(settings.responseTimeoutMs),
      idleTicks: this.sweep.ticksFor(limits.idleTimeoutMs),
    };
  }

  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void {
    new NativeExchange(this, req, res, target).start();
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ForwardTarget): void {
    tunnelUpgrade(this.settings, req, socket, head, target);
  }

  /** The pool of `upstream`'s origin, created on first use (and again after a retirement). */
  poolOf(upstream: Upstream): NativePool {
    let pool = this.pools.get(upstream.origin);
    if (pool === undefined) {
      pool = new NativePool(upstream, this.limits, this.sweep);
      this.pools.set(upstream.origin, pool);
      this.sweep.start();
    }
    return pool;
  }

  /** Closes every connection now (shutdown). */
  async close(): Promise<void> {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
    this.sweep.stop();
  }

  /** Closes `origin`'s idle connections now and busy ones when their exchange ends. */
  async retire(origin: string): Promise<void> {
    const pool = this.pools.get(origin);
    if (pool === undefined) return;
    this.pools.delete(origin);
    await pool.retire();
  }
}
