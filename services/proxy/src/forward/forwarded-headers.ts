import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { endToEndHeaders } from './hop-by-hop.js';
import { traceparentOf } from './trace-context.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { Upstream } from './upstream-pool.js';

/** What to send as `Host`: the client's (virtual hosting behind the proxy) or the upstream's own. */
export type HostMode = 'keep' | 'rewrite';

/**
 * The request headers for the upstream: end-to-end headers, `Host` per `hostMode`, and
 * X-Forwarded-For/-Proto/-Host and Via. Every header that states who the client is or how it
 * came is believed only from a trusted proxy, so a client cannot spoof them: incoming
 * X-Forwarded-* are kept and extended only when the peer is a trusted proxy and replaced
 * otherwise; `Forwarded` (RFC 7239) is extended with this hop from a trusted proxy and dropped
 * otherwise; `X-Real-IP` is passed on from a trusted proxy and dropped otherwise. A W3C
 * `traceparent` is passed on when valid and created when absent or malformed (trace-context.ts).
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
  if (fromTrusted) {
    const forwarded = req.headers.forwarded;
    if (forwarded !== undefined) headers.forwarded = `${forwarded}, ${forwardedElement(peer, proto)}`;
  } else {
    delete headers.forwarded;
    delete headers['x-real-ip'];
  }
  if (headers['x-forwarded-host'] === undefined) delete headers['x-forwarded-host'];
  headers.via = req.headers.via === undefined ? '1.1 graylane' : `${req.headers.via}, 1.1 graylane`;
  const traceparent = traceparentOf(req);
  if (headers.traceparent !== traceparent) {
    // A tracestate belongs to the trace its traceparent names; with a new trace it would mislead (W3C §3.3).
    if (traceparent !== req.headers.traceparent) delete headers.tracestate;
    headers.traceparent = traceparent;
  }
  if (hostMode === 'rewrite') headers.host = upstream.host;
  return headers;
}

/** This hop's RFC 7239 element: `for=192.0.2.1;proto=http`, an IPv6 peer quoted and bracketed. */
function forwardedElement(peer: string, proto: string): string {
  const node = peer === '' ? 'unknown' : peer.includes(':') ? `"[${peer}]"` : peer;
  return `for=${node};proto=${proto}`;
}
