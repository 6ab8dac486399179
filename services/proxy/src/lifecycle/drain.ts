import type { Server, ServerResponse } from 'node:http';

/** A listening server that can stop listening (the data plane). */
export interface Closable {
  readonly server: Server;
  close(): Promise<unknown>;
}

/**
 * Graceful shutdown of the data plane: stop accepting connections, close idle keep-alive ones,
 * let in-flight requests finish (up to `graceMs`), then cut what is left. While draining,
 * `draining` is true so `readyz` turns false and a load balancer stops sending.
 */
export class Drainer {
  draining = false;
  private readonly inFlight = new Set<ServerResponse>();

  /** Counts requests on `server` so a drain can say how many it had to cut. */
  track(server: Server): void {
    server.prependListener('request', (_req, res: ServerResponse) => {
      this.inFlight.add(res);
      if (this.draining) closeAfter(res);
      res.once('close', () => this.inFlight.delete(res));
    });
  }

  /** Requests not yet answered. */
  get active(): number {
    return this.inFlight.size;
  }

  /** Drains `app`; resolves with how many requests were still running after `graceMs` and were cut. */
  async drain(app: Closable, graceMs: number): Promise<number> {
    this.draining = true;
    // Keep-alive connections of requests still running would otherwise outlive the drain.
    for (const res of this.inFlight) closeAfter(res);
    // close() stops listening, closes idle keep-alive connections and waits for the rest.
    const closed = app.close();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceMs);
    });
    const first = await Promise.race([closed.then(() => 'closed' as const), graceOver]);
    clearTimeout(timer);
    let cut = 0;
    if (first === 'grace-over') {
      cut = this.inFlight.size;
      app.server.closeAllConnections();
      await closed;
    }
    return cut;
  }
}

/** Makes the connection of `res` close once the response is done, so the client reconnects elsewhere. */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
  else res.once('finish', () => res.socket?.end());
}
