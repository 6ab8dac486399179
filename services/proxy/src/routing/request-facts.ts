import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { cookieValue, firstHeaderValue, type ListedUser, type RequestFacts, type Side } from '@graylane/routing';
import type { TrustedProxies } from '../forward/trusted-proxies.js';
import { clientAddressOf } from './client-address.js';

/**
 * RequestFacts over a Node request, computed lazily: a rollout that routes on one header never
 * pays for parsing cookies or the query string.
 */
export class NodeRequestFacts implements RequestFacts {
  readonly host: string;
  readonly path: string;
  /** the request's header record, so a rollout reads all the headers it uses in one call */
  readonly headers: IncomingHttpHeaders;
  /** filled by the RequestDecider from the session store before deciding */
  sessionBinding: string | undefined = undefined;
  /** filled by the RequestDecider when the override header carries a valid signature */
  override: Side | undefined = undefined;
  /** filled by the RequestDecider from the rollout's Redis user sets */
  listedUser: ListedUser | undefined = undefined;
  private readonly search: string;
  private params: URLSearchParams | undefined;
  /** set by {@link trustForwardedFor}; without it the client is the socket's peer */
  private trusted: TrustedProxies | undefined;
  /** the client address behind trusted proxies, worked out once per request */
  private forwardedClient: string | undefined;

  constructor(private readonly req: IncomingMessage) {
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

  /**
   * Believe X-Forwarded-For when the peer is one of `trusted`, for the client address (regions by
   * CIDR, the IP sticky key). The RequestDecider calls this; the data plane builds the facts.
   */
  trustForwardedFor(trusted: TrustedProxies): void {
    if (trusted.empty || this.trusted === trusted) return;
    this.trusted = trusted;
    this.forwardedClient = undefined;
  }
}

/** `Example.com:8080` → `example.com`; IPv6 literals keep their brackets. */
export function hostWithoutPort(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end <= 0 ? host : host.slice(0, end)).toLowerCase();
}
