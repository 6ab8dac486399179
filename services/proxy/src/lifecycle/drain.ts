import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { OpenConnections } from './open-connections.js';

/** A listening server that can stop listening (the data plane). */
export interface Closable {
  readonly server: Server;
  close(): Promise<unknown>;
}

/**
 * How long a keep-alive connection must sit idle while draining before it is closed. Closing an
 * idle connection races with a request its client is sending on it at that moment, and that
 * request is lost (the client sees a reset, not an answer). A client under load sends its next
 * request well within this time and gets `connection: close` on the answer instead.
 */
export const DRAIN_IDLE_CLOSE_MS = 1000;

/**
 * Graceful shutdown of the data plane: stop accepting connections, answer every request still
 * arriving on an open keep-alive connection with `connection: close`, close connections that stay
 * idle, let in-flight requests finish (up to `graceMs`), then cut what is left. While draining,
 * `draining` is true so `readyz` turns false and a load balancer stops sending.
 */
export class Drainer {
  draining = false;
  private readonly connections = new OpenConnections();

  /** Counts connections and requests on `server` so a drain can close idle ones and say how many it cut. */
  track(server: Server): void {
    server.on('connection', (socket: Socket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.remove(socket));
    });
    // An upgraded connection is a tunnel with timeouts of its own (forward/native-upgrade.ts), not an idle one.
    server.on('upgrade', (_req, socket: Socket) => this.connections.remove(socket));
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      this.connections.requestStarted(req.socket, res);
      if (this.draining) {
        // The drain's idle timer must not cut a request that arrived in time.
        req.socket.setTimeout(0);
        closeAfter(res);
      }
    });
  }

  /** Requests not yet answered. */
  get active(): number {
    return this.connections.inFlight;
  }

  /** Drains `app`; resolves with how many requests were still running after `graceMs` and were cut. */
  async drain(app: Closable, graceMs: number): Promise<number> {
    this.draining = true;
    const { server } = app;
    // Keep-alive connections of requests still running would otherwise outlive the drain.
    const open = this.connections.snapshot();
    for (const { latest } of open) if (latest !== undefined) closeAfter(latest);
    // http.Server#close() would also close every idle keep-alive connection at once, losing the
    // requests their clients are sending right now; net.Server#close() only stops listening.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    const idleMs = Math.min(DRAIN_IDLE_CLOSE_MS, graceMs);
    for (const { socket, inFlight } of open) {
      // An idle socket's 'timeout' makes node:http destroy it; a request arriving first clears it (track).
      if (inFlight === 0) socket.setTimeout(idleMs);
    }
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceMs);
    });
    const first = await Promise.race([closed.then(() => 'closed' as const), graceOver]);
    clearTimeout(timer);
    let cut = 0;
    if (first === 'grace-over') {
      cut = this.connections.inFlight;
      server.closeAllConnections();
      await closed;
    }
    // Stops node:http's header-timeout sweep, which net.Server#close() leaves running.
    await app.close();
    return cut;
  }
}

/** Makes the connection of `res` close once the response is done, so the client reconnects elsewhere. */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
  else res.once('finish', () => res.socket?.end());
}
