import type { RegionsSpecV1 } from '@graylane/contracts';
import { CompileSite, shown } from './compile-error.js';
import { checkUpstreams } from './pool-spec.js';
import { FactSource, HEADER } from './fact-source.js';
import type { HeaderSlots, HeaderValues } from './header-snapshot.js';
import { inRange, ipv4Of, parseCidr, parseIpInto, type CidrRange } from './ip-address.js';
import type { CompiledPool, Decision, DecisionReason, RequestFacts, Side } from './types.js';

/** The pools a request may go to for each side, best first. Never empty: the rollout-wide pool is always last or first. */
export interface Candidates {
  /** the home region these candidates are for; '' for requests of unknown region */
  readonly region: string;
  readonly stable: readonly CompiledPool[];
  readonly canary: readonly CompiledPool[];
  /**
   * The frozen decision of each reason (indexed by its {@link ReasonCode}) when the home pool of
   * the side takes the request without a bucket. Arrays indexed by a small integer rather than
   * records keyed by the reason: a keyed load whose key varies goes megamorphic on the hot path.
   */
  readonly fixedStable: readonly Decision[];
  readonly fixedCanary: readonly Decision[];
}

/** Every reason, at the index of its code. */
const REASONS: readonly DecisionReason[] = ['state', 'override', 'rule', 'user-list', 'session', 'weight', 'no-key', 'region-fallback'];

/** The index of a reason in {@link Candidates.fixedStable} and {@link Candidates.fixedCanary}. */
export type ReasonCode = number;
export const STATE: ReasonCode = 0;
export const OVERRIDE: ReasonCode = 1;
export const RULE: ReasonCode = 2;
export const USER_LIST: ReasonCode = 3;
export const SESSION: ReasonCode = 4;

/** Candidates with their shared bucket-less decisions, so deciding by state, rule or session allocates nothing. */
function candidatesOf(region: string, stable: readonly CompiledPool[], canary: readonly CompiledPool[]): Candidates {
  const fixedFor = (side: Side, pool: CompiledPool): readonly Decision[] =>
    Object.freeze(REASONS.map((reason) => Object.freeze({ side, reason, bucket: -1, pool, region, bindable: false })));
  return Object.freeze({
    region,
    stable: Object.freeze([...stable]),
    canary: Object.freeze([...canary]),
    fixedStable: fixedFor('stable', stable[0]!),
    fixedCanary: fixedFor('canary', canary[0]!),
  });
}

interface RegionRange {
  readonly range: CidrRange;
  readonly region: string;
}

/** Scratch words for parsing one client address; decide() is synchronous, so one buffer is enough. */
const scratch = new Uint32Array(4);

/**
 * Where a rollout's requests can go, by the region they come from. Built once per config version:
 * for each home region (and '' for "unknown") the ordered candidate pools of each side are
 * precomputed, so a decision only walks a short array asking which pool is healthy.
 */
export class RegionPlan {
  /** the IPv4 ranges, most specific first, as parallel arrays: one masked compare each, no objects to load */
  private readonly v4Networks: Int32Array;
  private readonly v4Masks: Int32Array;
  private readonly v4Homes: readonly Candidates[];
  /** the IPv6 ranges that do not lie in the IPv4 space, most specific first */
  private readonly v6Ranges: readonly RegionRange[];

  constructor(
    /** the trusted header carrying the region; undefined when none */
    private readonly header: FactSource | undefined,
    /** most specific range first */
    ranges: readonly RegionRange[],
    private readonly byHome: ReadonlyMap<string, Candidates>,
    private readonly unknown: Candidates,
  ) {
    const v4 = ranges.flatMap((entry) => (entry.range.v4 === undefined ? [] : [{ net: entry.range.v4, home: this.candidatesFor(entry.region) }]));
    this.v4Networks = Int32Array.from(v4, (entry) => entry.net.network);
    this.v4Masks = Int32Array.from(v4, (entry) => entry.net.mask);
    this.v4Homes = Object.freeze(v4.map((entry) => entry.home));
    this.v6Ranges = Object.freeze(ranges.filter((entry) => entry.range.v4 === undefined));
    Object.freeze(this);
  }

  /** The sorted names of regions that have their own pools. */
  get names(): readonly string[] {
    return [...this.byHome.keys()];
  }

  /** Every pool once: the rollout-wide ones first. */
  get pools(): readonly CompiledPool[] {
    return [...new Set([...this.unknown.stable, ...this.unknown.canary])];
  }

  /**
   * The candidates of the request's region: the trusted header when it names a known region, else
   * the client address's CIDR range, else the rollout-wide ones (region '').
   */
  homeOf(facts: RequestFacts, values?: HeaderValues): Candidates {
    if (this.header !== undefined) {
      const named = this.header.read(facts, values);
      if (named !== undefined) {
        const home = this.byHome.get(named);
        if (home !== undefined) return home;
      }
    }
    const networks = this.v4Networks;
    const v6Ranges = this.v6Ranges;
    if (networks.length === 0 && v6Ranges.length === 0) return this.unknown;
    const v4 = ipv4Of(facts.clientIp);
    if (v4 >= 0) {
      // IPv4 ranges are all more specific than any IPv6 range that could contain the IPv4 space.
      const masks = this.v4Masks;
      for (let i = 0; i < networks.length; i++) {
        if ((v4 & masks[i]!) === networks[i]) return this.v4Homes[i]!;
      }
    }
    if (v6Ranges.length === 0 || !parseIpInto(facts.clientIp, scratch)) return this.unknown;
    for (const { range, region } of v6Ranges) {
      if (inRange(scratch, range)) return this.candidatesFor(region);
    }
    return this.unknown;
  }

  candidatesFor(region: string): Candidates {
    return this.byHome.get(region) ?? this.unknown;
  }
}

/** The plan of a rollout without regions: the rollout-wide pools only. */
export function singleRegionPlan(stable: CompiledPool, canary: CompiledPool): RegionPlan {
  return new RegionPlan(undefined, [], new Map(), candidatesOf('', [stable], [canary]));
}

/**
 * Compiles `spec.regions`. Candidate order for a request from region R: R's own pool, the regions
 * of R's fallback list (or the rollout-wide list), the rollout-wide pool, then every other region
 * by name, so a healthy pool is always found when one exists. A region without a canary pool is
 * skipped for canary traffic. Throws GRAYLANE_VALIDATION for an invalid CIDR, and for a CIDR or
 * fallback entry naming a region without pools.
 */
export function compileRegions(
  spec: RegionsSpecV1 | undefined,
  global: { stable: CompiledPool; canary: CompiledPool },
  site: CompileSite,
  slots: HeaderSlots,
): RegionPlan {
  if (spec === undefined) return singleRegionPlan(global.stable, global.canary);
  const names = Object.keys(spec.pools).sort();
  const pools = new Map<string, { stable: CompiledPool; canary: CompiledPool | undefined }>();
  for (const name of names) {
    const body = spec.pools[name];
    if (body === undefined) continue;
    checkUpstreams(body.stable, site, ['spec', 'regions', 'pools', name, 'stable']);
    if (body.canary !== undefined) checkUpstreams(body.canary, site, ['spec', 'regions', 'pools', name, 'canary']);
    pools.set(name, {
      stable: regionPool(name, 'stable', global.stable.name, body.stable),
      canary: body.canary === undefined ? undefined : regionPool(name, 'canary', global.canary.name, body.canary),
    });
  }
  const known = (region: string, path: readonly (string | number)[]): void => {
    if (!pools.has(region)) {
      throw site.error('GRAYLANE_VALIDATION', path, `region ${shown(region)} has no pools; known regions: ${names.join(', ') || 'none'}`);
    }
  };
  const globalFallback = spec.fallback ?? [];
  globalFallback.forEach((region, index) => known(region, ['spec', 'regions', 'fallback', index]));
  for (const name of names) {
    (spec.pools[name]?.fallback ?? []).forEach((region, index) => known(region, ['spec', 'regions', 'pools', name, 'fallback', index]));
  }

  const ranges: RegionRange[] = [];
  for (const [region, cidrs] of Object.entries(spec.from.cidrs ?? {})) {
    known(region, ['spec', 'regions', 'from', 'cidrs', region]);
    cidrs.forEach((text, index) => {
      const range = parseCidr(text);
      if (range === undefined) {
        throw site.error(
          'GRAYLANE_VALIDATION',
          ['spec', 'regions', 'from', 'cidrs', region, index],
          `invalid CIDR range ${shown(text)}: expected ADDRESS/BITS such as 10.0.1.0/24 or 2001:db8::/32`,
        );
      }
      ranges.push(Object.freeze({ range, region }));
    });
  }
  ranges.sort((a, b) => b.range.prefix - a.range.prefix);

  const candidates = (home: string, order: readonly (string | undefined)[]): Candidates => {
    const seen = new Set<string | undefined>();
    const stable: CompiledPool[] = [];
    const canary: CompiledPool[] = [];
    for (const region of [...order, undefined, ...names]) {
      if (seen.has(region)) continue;
      seen.add(region);
      const regional = region === undefined ? global : pools.get(region);
      if (regional === undefined) continue;
      stable.push(regional.stable);
      if (regional.canary !== undefined) canary.push(regional.canary);
    }
    return candidatesOf(home, stable, canary);
  };
  const byHome = new Map<string, Candidates>();
  for (const name of names) {
    byHome.set(name, candidates(name, [name, ...(spec.pools[name]?.fallback ?? globalFallback)]));
  }
  const header = spec.from.header === undefined ? undefined : new FactSource(HEADER, spec.from.header.toLowerCase(), slots);
  return new RegionPlan(header, Object.freeze(ranges), byHome, candidates('', [undefined, ...globalFallback]));
}

function regionPool(region: string, side: Side, name: string, upstreams: readonly string[]): CompiledPool {
  return Object.freeze({ key: `${region}/${side}`, region, side, name, upstreams: Object.freeze([...upstreams]) });
}
