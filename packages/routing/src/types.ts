import type { RolloutRecordV1 } from '@graylane/contracts';
import type { HeaderRecord } from './header-snapshot.js';

/** Which version serves a request. */
export type Side = 'stable' | 'canary';

/**
 * Why a request went where it went, in the order decide() tries them: the rollout's state
 * (aborted/rolled_back force stable, promoted forces canary); a tester's signed override header;
 * an explicit rule; the user allow/deny lists; the request's session binding; its sticky key's
 * bucket against the weight; the client IP's bucket because no sticky key was present. When the
 * chosen pool was unhealthy and another region's (or the other side's) pool took the request, the
 * reason is `region-fallback`.
 */
export type DecisionReason =
  | 'state'
  | 'override'
  | 'rule'
  | 'user-list'
  | 'session'
  | 'weight'
  | 'no-key'
  | 'region-fallback';

/** Membership of the sticky key in a large user list kept outside the spec (a Redis set). */
export type ListedUser = 'allow' | 'deny';

/** The facts the proxy extracts from one request. Header names are lower-case. */
export interface RequestFacts {
  /** without port, lower-case */
  host: string;
  /** path without query */
  path: string;
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  query(name: string): string | undefined;
  clientIp: string;
  /**
   * The request's header record (lower-case names, as Node gives it), when the facts come from a
   * live request: a rollout then reads every header it uses in one call instead of one
   * {@link header} call each. Optional; when present it must agree with {@link header}.
   */
  readonly headers?: HeaderRecord | undefined;
  /**
   * The raw `Cookie` header, when the facts come from a live request: lets the proxy find the
   * session id in it without making a string of it. Optional; `cookie(name)` is always there.
   */
  readonly rawCookieHeader?: string | undefined;
}

/**
 * What the proxy found out about a request from outside it, passed to decide() beside the
 * request's own facts: looked up (Redis) or verified (the override's signature). Kept apart from
 * {@link RequestFacts} so the request's facts are only ever read: data goes one way, from the
 * request and the lookups into one decision.
 */
export interface FoundFacts {
  /**
   * The stored session binding of this request (as made by {@link CompiledRollout.bindingValue});
   * undefined when there is none or it was not found in time.
   */
  readonly sessionBinding: string | undefined;
  /** A side a tester forced with a correctly signed override header; the proxy verifies the signature. */
  readonly override: Side | undefined;
  /** The sticky key's membership in the rollout's Redis user sets, when the proxy looked it up in time. */
  readonly listedUser: ListedUser | undefined;
}

/** One pool a request can be sent to: the rollout-wide stable/canary pool, or a region's. */
export interface CompiledPool {
  /** `stable`, `canary`, or `<region>/stable`, `<region>/canary`: unique within a rollout */
  readonly key: string;
  /** the region whose pool this is; '' for the rollout-wide pools */
  readonly region: string;
  readonly side: Side;
  /** the version name (`v1`), the same for every region */
  readonly name: string;
  readonly upstreams: readonly string[];
}

/**
 * Whether a pool can take traffic now. The proxy answers it from its health checks (a pool is
 * healthy while any endpoint is); the routing core only asks.
 */
export interface PoolHealth {
  isHealthy(pool: CompiledPool): boolean;
}

/**
 * Where one request goes and why. Decisions are read-only; some are shared frozen objects.
 */
export interface Decision {
  side: Side;
  reason: DecisionReason;
  /** the bucket in [0, 10000) the weight was compared with; -1 when no bucket was used */
  bucket: number;
  /** the pool to forward to */
  pool: CompiledPool;
  /** the region the request comes from (header or CIDR); '' when unknown or the rollout has no regions */
  region: string;
  /**
   * True when the side came from the hash of the sticky key, so a session without a binding should
   * be bound to it; false for state, override, rules, lists, an existing binding, and health fallback.
   */
  bindable: boolean;
}

/** Session stickiness of a rollout: the cookie naming the session and how long a binding lives. */
export interface SessionSettings {
  readonly cookie: string;
  readonly ttlMs: number;
}

/** One rollout, compiled once per config version and immutable afterwards. */
export interface CompiledRollout {
  readonly name: string;
  readonly stable: { readonly name: string; readonly upstreams: readonly string[] };
  readonly canary: { readonly name: string; readonly upstreams: readonly string[] };
  /** canary weight in basis points, 0–10000 */
  readonly basisPoints: number;
  readonly salt: string;
  /** whether the proxy adds x-graylane-pool, -reason and -config-version to responses */
  readonly responseHeaders: boolean;
  readonly state: RolloutRecordV1['state'];
  /** session stickiness; undefined when the rollout binds no sessions */
  readonly session: SessionSettings | undefined;
  /** names of the Redis sets holding large allow/deny lists, when the spec names them */
  readonly userSets: { readonly allow: string | undefined; readonly deny: string | undefined };
  /** every pool the rollout can send to: the rollout-wide two, then each region's; for health checks */
  readonly pools: readonly CompiledPool[];
  /** the region names with their own pools, sorted; empty without regions */
  readonly regions: readonly string[];
  /**
   * Stable or canary for one request, with the reason and the pool. Pure and allocation-light.
   * Without `health` every pool counts as healthy.
   */
  decide(facts: RequestFacts, health?: PoolHealth, found?: FoundFacts): Decision;
  /** The first present, non-empty sticky key of the request, or undefined (then the IP is used). */
  stickyKeyOf(facts: RequestFacts): string | undefined;
  /**
   * The value to store as the session binding for `side`: `<side>:<version name>`, so a binding
   * made for an earlier canary version (v2) is ignored once the canary is v3.
   */
  bindingValue(side: Side): string;
}

/** Every rollout of one config version, with the lookup of a request's rollout. */
export interface RoutingTable {
  /** the config version (KV revision) this table was compiled from; 0 for the empty table */
  readonly version: number;
  /** sorted by name */
  readonly rollouts: readonly CompiledRollout[];
  /**
   * The rollout for a request: among rollouts listing `host` and rollouts listing no hosts, the
   * one with the longest `pathPrefix` (default `/`) that `path` starts with; on equal prefixes a
   * rollout naming the host beats one that names none. Undefined when none matches.
   * `host` must already be lower-case and without port, as in {@link RequestFacts}.
   */
  match(host: string, path: string): CompiledRollout | undefined;
}
