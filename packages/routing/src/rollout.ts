import { parseDuration, type PoolSpecV1, type RolloutRecordV1, type UserListsV1 } from '@graylane/contracts';
import { basisPointsOrUndefined, bucketFrom, saltState, weightProblem } from './buckets.js';
import { CompileSite, shown } from './compile-error.js';
import { checkPoolName, checkUpstreams } from './pool-spec.js';
import type { FactSource } from './fact-source.js';
import type { HashState } from './hash.js';
import { HeaderSlots, type HeaderSnapshot, type HeaderValues } from './header-snapshot.js';
import { compileRegions, OVERRIDE, RULE, SESSION, STATE, USER_LIST, type Candidates, type ReasonCode, type RegionPlan } from './regions.js';
import { compileRules, type CompiledRule } from './rules.js';
import { compileStickyKey } from './sticky-key.js';
import type {
  CompiledPool,
  CompiledRollout,
  Decision,
  DecisionReason,
  FoundFacts,
  ListedUser,
  PoolHealth,
  RequestFacts,
  SessionSettings,
  Side,
} from './types.js';

/** Up to this many listed users are found by a scan rather than a Map lookup. */
const SCANNED_USERS = 16;

/**
 * The allow/deny lists of the spec as one lookup from user to side, deny applied last so it wins:
 * one lookup per decision instead of one per list. Why a scan for short lists: the sticky key is a
 * new string on every request, and a Map must hash it first (a runtime call in V8); `===` against
 * a few listed names mostly stops at their length, and hashes nothing.
 */
class UserSides {
  private readonly users: readonly string[];
  private readonly sides: readonly Side[];
  private readonly map: ReadonlyMap<string, Side> | undefined;

  constructor(bySide: ReadonlyMap<string, Side>) {
    this.users = Object.freeze([...bySide.keys()]);
    this.sides = Object.freeze([...bySide.values()]);
    this.map = bySide.size > SCANNED_USERS ? bySide : undefined;
    Object.freeze(this);
  }

  get size(): number {
    return this.users.length;
  }

  sideOf(key: string): Side | undefined {
    if (this.map !== undefined) return this.map.get(key);
    const users = this.users;
    for (let i = 0; i < users.length; i++) if (users[i] === key) return this.sides[i];
    return undefined;
  }
}

const NO_USERS = new UserSides(new Map<string, Side>());

/** A compiled rollout; also carries what the table needs to match requests to it. */
export class Rollout implements CompiledRollout {
  private readonly bindings: { readonly stable: string; readonly canary: string };

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
    private readonly userSides: UserSides,
    private readonly stickyKey: readonly FactSource[],
    private readonly saltHash: HashState,
    private readonly plan: RegionPlan,
    /** reads every header the rules, sticky key and region use; undefined when they use none */
    private readonly readHeaders: HeaderSnapshot | undefined,
  ) {
    this.bindings = Object.freeze({ stable: `stable:${stable.name}`, canary: `canary:${canary.name}` });
    Object.freeze(this);
  }

  get regions(): readonly string[] {
    return this.plan.names;
  }

  get pools(): readonly CompiledPool[] {
    return this.plan.pools;
  }

  decide(facts: RequestFacts, health?: PoolHealth, found?: FoundFacts): Decision {
    const values = this.headerValues(facts);
    const home = this.plan.homeOf(facts, values);
    if (this.forced !== undefined) return this.settled(this.forced, STATE, home, health);
    const override = found?.override;
    if (override !== undefined) return this.settled(override, OVERRIDE, home, health);
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.matches(facts, values)) return this.settled(rule.side, RULE, home, health);
    }
    const key = this.stickyKeyOf(facts, values);
    const listed = this.listed(key, found?.listedUser);
    if (listed !== undefined) return this.settled(listed, USER_LIST, home, health);
    // A binding is honoured only while it names the current version of its side (see bindingValue),
    // and never over a forced state above: a rollback moves bound canary sessions back to stable.
    const binding = found?.sessionBinding;
    if (binding !== undefined) {
      if (binding === this.bindings.canary) return this.settled('canary', SESSION, home, health);
      if (binding === this.bindings.stable) return this.settled('stable', SESSION, home, health);
    }
    const reason: DecisionReason = key === undefined ? 'no-key' : 'weight';
    const bucket = bucketFrom(this.saltHash, key ?? facts.clientIp);
    const side: Side = bucket < this.basisPoints ? 'canary' : 'stable';
    const pool = (side === 'canary' ? home.canary : home.stable)[0]!;
    if (health === undefined || health.isHealthy(pool)) return { side, reason, bucket, pool, region: home.region, bindable: true };
    return this.fallback(side, reason, bucket, true, home, health);
  }

  stickyKeyOf(facts: RequestFacts, values: HeaderValues | undefined = this.headerValues(facts)): string | undefined {
    const sources = this.stickyKey;
    for (let i = 0; i < sources.length; i++) {
      const key = sources[i]!.read(facts, values);
      if (key !== undefined && key.length > 0) return key;
    }
    return undefined;
  }

  /** The request's headers this rollout reads, in one call, when the facts carry their header record. */
  private headerValues(facts: RequestFacts): HeaderValues | undefined {
    const headers = facts.headers;
    return headers === undefined || this.readHeaders === undefined ? undefined : this.readHeaders(headers);
  }

  bindingValue(side: Side): string {
    return this.bindings[side];
  }

  /** Deny wins over allow, so a user on both lists stays on stable. */
  private listed(key: string | undefined, listedUser: ListedUser | undefined): Side | undefined {
    if (listedUser === 'deny') return 'stable';
    if (key !== undefined && this.userSides.size > 0) {
      const side = this.userSides.sideOf(key);
      if (side !== undefined) return side;
    }
    return listedUser === 'allow' ? 'canary' : undefined;
  }

  /** A decision without a bucket: the shared frozen one while the home pool of `side` is healthy. */
  private settled(side: Side, code: ReasonCode, home: Candidates, health: PoolHealth | undefined): Decision {
    const decision = (side === 'canary' ? home.fixedCanary : home.fixedStable)[code]!;
    if (health === undefined || health.isHealthy(decision.pool)) return decision;
    return this.fallback(side, decision.reason, -1, false, home, health);
  }

  /**
   * When the home pool of `side` is down: the next healthy candidate pool of `side` for the
   * request's region; then, unless the side is forced by the state (a rollback must never reach the
   * rolled-back version), the first healthy pool of the other side; and when nothing is healthy, the
   * home pool, since there is no better one.
   */
  private fallback(side: Side, reason: DecisionReason, bucket: number, bindable: boolean, candidates: Candidates, health: PoolHealth): Decision {
    const region = candidates.region;
    const own = candidates[side];
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
    return { side, reason, bucket, pool: own[0]!, region, bindable };
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
  const stable = pool(spec.stable, 'stable', site);
  const canary = pool(spec.canary, 'canary', site);
  const slots = new HeaderSlots();
  const rules = compileRules(spec.rules, site, slots);
  const stickyKey = compileStickyKey(spec.traffic.stickyKey, site, slots);
  const plan = compileRegions(spec.regions, { stable, canary }, site, slots);
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
    rules,
    compileUsers(spec.users),
    stickyKey,
    saltState(salt),
    plan,
    slots.compile(),
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

function compileUsers(users: UserListsV1 | undefined): UserSides {
  if (users === undefined || (users.allow === undefined && users.deny === undefined)) return NO_USERS;
  const sides = new Map<string, Side>();
  for (const user of users.allow ?? []) sides.set(user, 'canary');
  for (const user of users.deny ?? []) sides.set(user, 'stable');
  return new UserSides(sides);
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

function pool(spec: PoolSpecV1, side: Side, site: CompileSite): CompiledPool {
  checkPoolName(spec.name, site, ['spec', side, 'name']);
  checkUpstreams(spec.upstreams, site, ['spec', side, 'upstreams']);
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
