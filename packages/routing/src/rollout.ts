import { parseDuration, type PoolSpecV1, type RolloutRecordV1, type UserListsV1 } from '@graylane/contracts';
import { basisPointsOrUndefined, bucketFrom, saltState, weightProblem } from './buckets.js';
import { CompileSite, shown } from './compile-error.js';
import type { FactSource } from './fact-source.js';
import type { HashState } from './hash.js';
import { compileRegions, type RegionPlan } from './regions.js';
import { compileRules, type CompiledRule } from './rules.js';
import { compileStickyKey } from './sticky-key.js';
import type {
  CompiledPool,
  CompiledRollout,
  Decision,
  DecisionReason,
  PoolHealth,
  RequestFacts,
  SessionSettings,
  Side,
} from './types.js';

/** Small allow/deny lists from the spec, compiled to sets. */
interface UserLists {
  readonly allow: ReadonlySet<string>;
  readonly deny: ReadonlySet<string>;
}

const NO_USERS: UserLists = Object.freeze({ allow: new Set<string>(), deny: new Set<string>() });

/** A compiled rollout; also carries what the table needs to match requests to it. */
export class Rollout implements CompiledRollout {
  private readonly bindings: { readonly stable: string; readonly canary: string };
  private readonly hasUserLists: boolean;

  constructor(
    readonly name: string,
    readonly stable: CompiledPool,
    readonly canary: CompiledPool,
    readonly basisPoints: number,
    readonly salt: string,
    readonly responseHeaders: boolean,
    readonly state: RolloutRecordV1['state'],
    /** lower-case hosts; empty when the rollout matches any host */
    readonly hosts: readonly string[],
    readonly pathPrefix: string,
    readonly session: SessionSettings | undefined,
    readonly userSets: { readonly allow: string | undefined; readonly deny: string | undefined },
    /** the side every request gets whatever its facts, from the state; undefined when live */
    private readonly forced: Side | undefined,
    private readonly rules: readonly CompiledRule[],
    private readonly users: UserLists,
    private readonly stickyKey: readonly FactSource[],
    private readonly saltHash: HashState,
    private readonly plan: RegionPlan,
  ) {
    this.bindings = Object.freeze({ stable: `stable:${stable.name}`, canary: `canary:${canary.name}` });
    this.hasUserLists = users.allow.size > 0 || users.deny.size > 0;
    Object.freeze(this);
  }

  get regions(): readonly string[] {
    return this.plan.names;
  }

  get pools(): readonly CompiledPool[] {
    return this.plan.pools;
  }

  decide(facts: RequestFacts, health?: PoolHealth): Decision {
    const region = this.plan.regionOf(facts);
    if (this.forced !== undefined) return this.place(this.forced, 'state', -1, false, region, health);
    if (facts.override !== undefined) return this.place(facts.override, 'override', -1, false, region, health);
    for (const rule of this.rules) {
      if (rule.matches(facts)) return this.place(rule.side, 'rule', -1, false, region, health);
    }
    const key = this.stickyKeyOf(facts);
    const listed = this.listed(key, facts);
    if (listed !== undefined) return this.place(listed, 'user-list', -1, false, region, health);
    // A binding is honoured only while it names the current version of its side (see bindingValue),
    // and never over a forced state above: a rollback moves bound canary sessions back to stable.
    const binding = facts.sessionBinding;
    if (binding !== undefined) {
      if (binding === this.bindings.canary) return this.place('canary', 'session', -1, false, region, health);
      if (binding === this.bindings.stable) return this.place('stable', 'session', -1, false, region, health);
    }
    const reason: DecisionReason = key === undefined ? 'no-key' : 'weight';
    const bucket = bucketFrom(this.saltHash, key ?? facts.clientIp);
    return this.place(bucket < this.basisPoints ? 'canary' : 'stable', reason, bucket, true, region, health);
  }

  stickyKeyOf(facts: RequestFacts): string | undefined {
    for (const source of this.stickyKey) {
      const key = source.read(facts);
      if (key !== undefined && key.length > 0) return key;
    }
    return undefined;
  }

  bindingValue(side: Side): string {
    return this.bindings[side];
  }

  /** Deny wins over allow, so a user on both lists stays on stable. */
  private listed(key: string | undefined, facts: RequestFacts): Side | undefined {
    if (facts.listedUser === 'deny') return 'stable';
    if (this.hasUserLists && key !== undefined) {
      if (this.users.deny.has(key)) return 'stable';
      if (this.users.allow.has(key)) return 'canary';
    }
    return facts.listedUser === 'allow' ? 'canary' : undefined;
  }

  /**
   * The first healthy candidate pool of `side` for the request's region; then, unless the side is
   * forced by the state (a rollback must never reach the rolled-back version), the first healthy
   * pool of the other side; and when nothing is healthy, the home pool, since there is no better one.
   */
  private place(
    side: Side,
    reason: DecisionReason,
    bucket: number,
    bindable: boolean,
    region: string,
    health: PoolHealth | undefined,
  ): Decision {
    const candidates = this.plan.candidatesFor(region);
    const own = candidates[side];
    const home = own[0]!;
    if (health === undefined || health.isHealthy(home)) {
      // Decisions without a bucket are the same for every request of a region: share one frozen object.
      return bucket < 0 ? candidates.fixed[side][reason] : { side, reason, bucket, pool: home, region, bindable };
    }
    for (let i = 1; i < own.length; i++) {
      const pool = own[i]!;
      if (health.isHealthy(pool)) return { side, reason: 'region-fallback', bucket, pool, region, bindable: false };
    }
    if (reason !== 'state') {
      const other: Side = side === 'canary' ? 'stable' : 'canary';
      for (const pool of candidates[other]) {
        if (health.isHealthy(pool)) return { side: other, reason: 'region-fallback', bucket, pool, region, bindable: false };
      }
    }
    return { side, reason, bucket, pool: home, region, bindable };
  }
}

/**
 * Compiles one rollout record as {@link compileTable} would, so the config service can refuse a
 * bad rollout before writing it. Throws GRAYLANE_VALIDATION naming the rollout and the field.
 */
export function compileRollout(record: RolloutRecordV1): CompiledRollout {
  return compileRolloutAt(record, new CompileSite(record.name, ''));
}

/** {@link compileRollout} with errors pointing inside a larger document. */
export function compileRolloutAt(record: RolloutRecordV1, site: CompileSite): Rollout {
  const { spec } = record;
  const basisPoints = basisPointsOrUndefined(spec.traffic.weight);
  if (basisPoints === undefined) {
    throw site.error(
      'GRAYLANE_VALIDATION',
      ['spec', 'traffic', 'weight'],
      `invalid weight ${String(spec.traffic.weight)}: ${weightProblem(spec.traffic.weight)}`,
    );
  }
  const salt = spec.traffic.salt ?? record.name;
  const stable = pool(spec.stable, 'stable');
  const canary = pool(spec.canary, 'canary');
  return new Rollout(
    record.name,
    stable,
    canary,
    basisPoints,
    salt,
    spec.responseHeaders ?? false,
    record.state,
    compileHosts(spec.match.hosts, site),
    spec.match.pathPrefix ?? '/',
    compileSession(spec.session, site),
    Object.freeze({ allow: spec.users?.allowSet, deny: spec.users?.denySet }),
    forcedBy(record.state),
    compileRules(spec.rules, site),
    compileUsers(spec.users),
    compileStickyKey(spec.traffic.stickyKey, site),
    saltState(salt),
    compileRegions(spec.regions, { stable, canary }, site),
  );
}

function compileSession(session: { cookie: string; ttl: string } | undefined, site: CompileSite): SessionSettings | undefined {
  if (session === undefined) return undefined;
  let ttlMs = 0;
  try {
    ttlMs = parseDuration(session.ttl);
  } catch {
    ttlMs = Number.NaN;
  }
  if (!(ttlMs > 0)) {
    throw site.error('GRAYLANE_VALIDATION', ['spec', 'session', 'ttl'], `invalid ttl ${shown(session.ttl)}: expected a positive duration such as 30m`);
  }
  return Object.freeze({ cookie: session.cookie, ttlMs });
}

function compileUsers(users: UserListsV1 | undefined): UserLists {
  if (users === undefined || (users.allow === undefined && users.deny === undefined)) return NO_USERS;
  return Object.freeze({ allow: new Set(users.allow ?? []), deny: new Set(users.deny ?? []) });
}

function forcedBy(state: RolloutRecordV1['state']): Side | undefined {
  switch (state) {
    case 'aborted':
    case 'rolled_back':
      return 'stable';
    case 'promoted':
      return 'canary';
    case 'progressing':
    case 'paused':
      return undefined;
  }
}

function pool(spec: PoolSpecV1, side: Side): CompiledPool {
  return Object.freeze({ key: side, region: '', side, name: spec.name, upstreams: Object.freeze([...spec.upstreams]) });
}

function compileHosts(hosts: readonly string[] | undefined, site: CompileSite): readonly string[] {
  const unique = new Set<string>();
  (hosts ?? []).forEach((host, index) => {
    if (host.includes('*')) {
      throw site.error(
        'GRAYLANE_VALIDATION',
        ['spec', 'match', 'hosts', index],
        `wildcard host ${JSON.stringify(host)} is not supported; list each host, or list none to match any host`,
      );
    }
    unique.add(host.toLowerCase());
  });
  return Object.freeze([...unique]);
}
