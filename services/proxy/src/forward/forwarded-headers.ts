import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { endToEndHeaders } from './hop-by-hop.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { Upstream } from './upstream-pool.js';

/** What to send as `Host`: the client's (virtual hosting behind the proxy) or the upstream's own. */
export type HostMode = 'keep' | 'rewrite';

/**
 * The request headers for the upstream: end-to-end headers, `Host` per `hostMode`, and
 * X-Forwarded-For/-Proto/-Host and Via. Incoming X-Forwarded-* are kept and extended only when
 * the peer is a trusted proxy; from anyone else they are replaced, so a client cannot spoof them.
 */
export function upstreamRequestHeaders(req: IncomingMessage, upstream: Upstream, hostMode: HostMode, trusted: TrustedProxies): OutgoingHttpHeaders {
  const headers = endToEndHeaders(req.headers);
  const peer = req.socket.remoteAddress ?? '';
  const proto = (req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
  const fromTrusted = trusted.trusts(req.socket.remoteAddress);
  const prior = req.headers['x-forwarded-for'];
  if (fromTrusted && prior !== undefined) {
    headers['x-forwarded-for'] = `${Array.isArray(prior) ? prior.join(', ') : prior}, ${peer}`;
    headers['x-forwarded-proto'] = req.headers['x-forwarded-proto'] ?? proto;
    headers['x-forwarded-host'] = req.headers['x-forwarded-host'] ?? req.headers.host;
  } else {
    headers['x-forwarded-for'] = peer;
    headers['x-forwarded-proto'] = proto;
    headers['x-forwarded-host'] = req.headers.host;
  }
  if (headers['x-forwarded-host'] === undefined) delete headers['x-forwarded-host'];
  headers.via = req.headers.via === undefined ? '1.1 graylane' : `${req.headers.via}, 1.1 graylane`;
  if (hostMode === 'rewrite') headers.host = upstream.host;
  return headers;
}
