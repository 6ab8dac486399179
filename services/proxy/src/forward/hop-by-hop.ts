import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Headers that describe one connection, not the message; a proxy must not pass them on (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers `Connection` may not remove (RFC 9110 §7.6.1 lets a sender list only hop-by-hop
 * fields). Dropping `Host` because the client wrote `Connection: host` would let the upstream see
 * a host other than the one the request was routed by (an engine fills in its own), and dropping
 * `Content-Length` would change how the body is framed. `Transfer-Encoding` is hop-by-hop anyway:
 * each engine frames the body it sends itself.
 */
const NEVER_CONNECTION_LISTED = new Set(['host', 'content-length', 'transfer-encoding']);

/** The headers to send on: hop-by-hop ones and every header named in `Connection` (except the framing and Host) removed. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionListed(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}

function connectionListed(connection: string | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  const names = connection
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '' && token !== 'close' && token !== 'keep-alive' && !NEVER_CONNECTION_LISTED.has(token));
  return names.length === 0 ? undefined : new Set(names);
}
