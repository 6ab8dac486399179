import type { HeaderSlots, HeaderValues } from './header-snapshot.js';
import type { RequestFacts } from './types.js';

/** Where a value comes from in a request; numbers so the hot path switches on a small integer. */
export const HEADER = 0;
export const COOKIE = 1;
export const QUERY = 2;
export const CLIENT_IP = 3;
export type FactKind = typeof HEADER | typeof COOKIE | typeof QUERY | typeof CLIENT_IP;

/** One named fact of a request: a header (lower-case name), a cookie, a query parameter, or the client IP. */
export class FactSource {
  /** for a header: its slot in the rollout's {@link HeaderValues}; -1 otherwise */
  private readonly slot: number;

  constructor(
    readonly kind: FactKind,
    readonly name: string,
    /** the rollout's header names; required for a header */
    slots?: HeaderSlots,
  ) {
    if (kind === HEADER && slots === undefined) throw new TypeError(`header source ${name} needs its rollout's header slots`);
    this.slot = kind === HEADER && slots !== undefined ? slots.slotOf(name) : -1;
    Object.freeze(this);
  }

  /** The fact's value; a header comes from `values` (the rollout's snapshot) when given, else from `facts.header`. */
  read(facts: RequestFacts, values?: HeaderValues): string | undefined {
    switch (this.kind) {
      case HEADER:
        return values === undefined ? facts.header(this.name) : values[this.slot];
      case COOKIE:
        return facts.cookie(this.name);
      case QUERY:
        return facts.query(this.name);
      case CLIENT_IP:
        return facts.clientIp;
    }
  }
}
