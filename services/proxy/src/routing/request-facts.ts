import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { cookieValue, firstHeaderValue, type RequestFacts } from '@graylane/routing';
import type { TrustedProxies } from '../forward/trusted-proxies.js';
import { clientAddressOf } from './client-address.js';

/**
 * RequestFacts over a Node request, computed lazily: a rollout that routes on one header never
 * pays for parsing cookies or the query string. Only what the request says: what the proxy finds
 * out about it (bindings, lists, a verified override) goes to decide() apart, as FoundFacts.
 */
export class NodeRequestFacts implements RequestFacts {
  readonly host: string;
  readonly path: string;
  /** the request's header record, so a rollout reads all the headers it uses in one call */
  readonly headers: IncomingHttpHeaders;
  private readonly search: string;
  private params: URLSearchParams | undefined;
  /** whose X-Forwarded-For is believed for the client address; undefined: the client is the socket's peer */
  private readonly trusted: TrustedProxies | undefined;
  /** the client address behind trusted proxies, worked out once per request */
  private forwardedClient: string | undefined;

  /**
   * `trusted` (`GRAYLANE_TRUSTED_PROXIES`): behind them the client address, for regions by CIDR
   * and the IP sticky key, is the right-most X-Forwarded-For entry that is not one of them.
   */
  constructor(
    private readonly req: IncomingMessage,
    trusted?: TrustedProxies,
  ) {
    // An empty list (the variable unset) trusts no one: skip the per-request check.
    this.trusted = trusted?.empty === true ? undefined : trusted;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.search = q === -1 ? '' : url.slice(q + 1);
    this.headers = req.headers;
    this.host = hostWithoutPort(this.headers.host ?? '');
  }

  header(name: string): string | undefined {
    return firstHeaderValue(this.headers[name]);
  }

  cookie(name: string): string | undefined {
    return cookieValue(this.headers.cookie, name);
  }

  /** The raw Cookie header (Node joins repeated ones with `; `), for reading the session id in place. */
  get rawCookieHeader(): string | undefined {
    return this.headers.cookie;
  }

  query(name: string): string | undefined {
    if (this.search === '') return undefined;
    this.params ??= new URLSearchParams(this.search);
    return this.params.get(name) ?? undefined;
  }

  /** The client address: the socket's peer, or behind trusted proxies what they saw (see {@link clientAddressOf}). */
  get clientIp(): string {
    const peer = this.req.socket.remoteAddress ?? '';
    if (this.trusted === undefined) return peer;
    this.forwardedClient ??= clientAddressOf(peer, this.headers['x-forwarded-for'], this.trusted);
    return this.forwardedClient;
  }
}

/** `Example.com:8080` → `example.com`; IPv6 literals keep their brackets. */
export function hostWithoutPort(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end <= 0 ? host : host.slice(0, end)).toLowerCase();
}
