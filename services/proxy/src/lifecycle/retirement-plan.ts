import type { RoutingTable } from '@graylane/routing';

/** When an origin that left the config may be retired. */
export interface RetirementSettings {
  /**
   * An origin is retired no sooner than this after it left the config, even when idle: a request
   * routed on the old table may still retry onto it after its first endpoint refused to connect,
   * which happens within the connect timeout.
   */
  readonly settleMs: number;
  /** An origin still busy this long after it left is retired anyway; its requests still finish, as pools close gracefully. */
  readonly graceMs: number;
}

/** Every endpoint origin a table can send to: stable, canary and every region's pools. */
export function originsNamedBy(table: RoutingTable): Set<string> {
  const origins = new Set<string>();
  for (const rollout of table.rollouts) {
    for (const url of rollout.stable.upstreams) origins.add(new URL(url).origin);
    for (const url of rollout.canary.upstreams) origins.add(new URL(url).origin);
    for (const pool of rollout.pools) for (const url of pool.upstreams) origins.add(new URL(url).origin);
  }
  return origins;
}

/**
 * Which endpoint origins to retire, and when; pure: the named origins, the time and the requests
 * in flight come in, origins to retire go out. An origin that a new table no longer names waits
 * until it has no request in flight (and `settleMs` passed) or until `graceMs` passed; an origin
 * named again before that is kept, and one named again after it was retired starts fresh.
 */
export class RetirementPlan {
  private named: ReadonlySet<string> = new Set();
  /** origin → when it left the config */
  private readonly leaving = new Map<string, number>();

  constructor(private readonly settings: RetirementSettings) {}

  /** Origins waiting to be retired. */
  get waiting(): number {
    return this.leaving.size;
  }

  /**
   * Notes the origins of a newly applied table; those the previous one named and this one does not
   * start leaving. Returns the origins that arrive: named now, neither named before nor still
   * leaving, so new or back after being retired; whatever a late answer left about them is stale.
   */
  tableApplied(named: ReadonlySet<string>, now: number): string[] {
    const arrived: string[] = [];
    for (const origin of named) if (!this.named.has(origin) && !this.leaving.has(origin)) arrived.push(origin);
    for (const origin of this.named) if (!named.has(origin) && !this.leaving.has(origin)) this.leaving.set(origin, now);
    for (const origin of named) this.leaving.delete(origin);
    this.named = named;
    return arrived;
  }

  /** The origins to retire now, forgotten by the plan as they are returned. */
  due(now: number, outstanding: (origin: string) => number): string[] {
    const due: string[] = [];
    for (const [origin, leftAt] of this.leaving) {
      const waited = now - leftAt;
      if (waited >= this.settings.graceMs || (waited >= this.settings.settleMs && outstanding(origin) === 0)) due.push(origin);
    }
    for (const origin of due) this.leaving.delete(origin);
    return due;
  }
}
