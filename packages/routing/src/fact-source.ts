import type { RequestFacts } from './types.js';

/** Where a value comes from in a request; numbers so the hot path switches on a small integer. */
export const HEADER = 0;
export const COOKIE = 1;
export const QUERY = 2;
export const CLIENT_IP = 3;
export type FactKind = typeof HEADER | typeof COOKIE | typeof QUERY | typeof CLIENT_IP;

/** One named fact of a request: a header (lower-case name), a cookie, a query parameter, or the client IP. */
export class FactSource {
  constructor(
    readonly kind: FactKind,
    readonly name: string,
  ) {
    Object.freeze(this);
  }

  read(facts: RequestFacts): string | undefined {
    switch (this.kind) {
      case HEADER:
        return facts.header(this.name);
      case COOKIE:
        return facts.cookie(this.name);
      case QUERY:
        return facts.query(this.name);
      case CLIENT_IP:
        return facts.clientIp;
    }
  }
}
