import type { IncomingMessage } from 'node:http';

/** Why a request that Node's parser let through is refused before routing, and with which status. */
export interface RequestProblem {
  readonly status: 400 | 505;
  readonly message: string;
}

/**
 * What RFC 9112 rejects and Node 20–26 accept, checked on every request before it is routed:
 * - a request line without a version is HTTP/0.9 (Node reports 0.9 and even reads headers after
 *   it); graylane speaks HTTP/1.x only: 400;
 * - `HTTP/2.0` (or any other major version) on an HTTP/1 connection: 505;
 * - more than one `Host` (RFC 9112 §3.2): 400. Node keeps the first and drops the rest, while a
 *   server behind graylane may believe another one, so routing and the upstream could see
 *   different hosts.
 * A missing `Host` on HTTP/1.1 is already answered 400 by Node (`requireHostHeader`).
 */
export function requestProblem(req: IncomingMessage): RequestProblem | undefined {
  if (req.httpVersionMajor !== 1) {
    return req.httpVersionMajor === 0
      ? { status: 400, message: 'the request line has no HTTP/1.x version (HTTP/0.9 is not supported)' }
      : { status: 505, message: `HTTP/${req.httpVersion} is not supported on this port; use HTTP/1.1` };
  }
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) {
      return { status: 400, message: 'the request has more than one Host header' };
    }
  }
  return undefined;
}
