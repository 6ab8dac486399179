import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** An open client connection and the requests on it that are not answered yet. */
export interface OpenConnection {
  readonly socket: Socket;
  /** Requests on this connection still running (more than one when the client pipelines). */
  inFlight: number;
  /** The newest of them: the answer after which the connection may close. */
  latest: ServerResponse | undefined;
  /** Position in the registry's array, for removal in O(1). */
  index: number;
}

const ENTRY = Symbol('graylane.open-connection');
type Tracked = Socket & { [ENTRY]?: OpenConnection };

/** A response of a tracked connection closed (answered or cut): one request less on it. A removed connection's count is already 0. */
function onResponseClose(this: ServerResponse): void {
  const entry = (this.req.socket as Tracked | null)?.[ENTRY];
  if (entry === undefined || entry.inFlight === 0) return;
  entry.inFlight -= 1;
  if (entry.latest === this) entry.latest = undefined;
}

/**
 * The data plane's open connections and in-flight requests, kept without a `Set` or `Map` on the
 * request path. A JS Set that gains and loses an entry per request is rehashed every few requests,
 * and V8 links each obsolete hash table to its successor: once one table has been promoted to the
 * old generation, every later table and the requests it held are kept alive by the dead one before
 * it, so each scavenge promotes whole request graphs and stalls for milliseconds until the next
 * full collection (docs/decisions/0003-own-upstream-client.md, "The tail"). Here a connection is
 * one slot of a plain array, removed by moving the last slot into its place, and a request is a
 * counter on its connection, decremented by one shared 'close' listener (no closure per request).
 */
export class OpenConnections {
  private readonly all: OpenConnection[] = [];

  get size(): number {
    return this.all.length;
  }

  /** Requests not yet answered, over every connection (read by a drain and a metrics scrape, not per request). */
  get inFlight(): number {
    let total = 0;
    for (const entry of this.all) total += entry.inFlight;
    return total;
  }

  add(socket: Socket): void {
    const entry: OpenConnection = { socket, inFlight: 0, latest: undefined, index: this.all.length };
    (socket as Tracked)[ENTRY] = entry;
    this.all.push(entry);
  }

  /** Forgets a connection that closed or left HTTP (an upgrade). Safe to call twice. */
  remove(socket: Socket): void {
    const entry = (socket as Tracked)[ENTRY];
    if (entry === undefined || this.all[entry.index] !== entry) return;
    const last = this.all.pop() as OpenConnection;
    if (last !== entry) {
      last.index = entry.index;
      this.all[entry.index] = last;
    }
    entry.inFlight = 0;
    entry.latest = undefined;
  }

  /** Counts `res` as running on its connection until its 'close'. */
  requestStarted(socket: Socket, res: ServerResponse): void {
    const entry = (socket as Tracked)[ENTRY];
    if (entry === undefined || this.all[entry.index] !== entry) return;
    entry.inFlight += 1;
    entry.latest = res;
    res.on('close', onResponseClose);
  }

  /** A copy of the open connections, for a drain to walk while they close. */
  snapshot(): readonly OpenConnection[] {
    return [...this.all];
  }
}
