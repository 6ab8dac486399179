import type { IncomingMessage } from 'node:http';
import { cookieValue, type ListedUser, type RequestFacts, type Side } from '@graylane/routing';

/**
 * RequestFacts over a Node request, computed lazily: a rollout that routes on one header never
 * pays for parsing cookies or the query string.
 */
export class NodeRequestFacts implements RequestFacts {
  readonly host: string;
  readonly path: string;
  /** filled by the RequestDecider from the session store before deciding */
  sessionBinding: string | undefined = undefined;
  /** filled by the RequestDecider when the override header carries a valid signature */
  override: Side | undefined = undefined;
  /** filled by the RequestDecider from the rollout's Redis user sets */
  listedUser: ListedUser | undefined = undefined;
  private readonly search: string;
  private params: URLSearchParams | undefined;

  constructor(private readonly req: IncomingMessage) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.search = q === -1 ? '' : url.slice(q + 1);
    this.host = hostWithoutPort(req.headers.host ?? '');
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  cookie(name: string): string | undefined {
    return cookieValue(this.req.headers.cookie, name);
  }

  query(name: string): string | undefined {
    if (this.search === '') return undefined;
    this.params ??= new URLSearchParams(this.search);
    return this.params.get(name) ?? undefined;
  }

  get clientIp(): string {
    return this.req.socket.remoteAddress ?? '';
  }
}

/** `Example.com:8080` → `example.com`; IPv6 literals keep their brackets. */
export function hostWithoutPort(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end <= 0 ? host : host.slice(0, end)).toLowerCase();
}
