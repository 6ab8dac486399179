import type { RolloutRecordV1 } from '@graylane/contracts';

/** Which version serves a request. */
export type Side = 'stable' | 'canary';

/**
 * Why a request went where it went: an explicit rule; its sticky key's bucket against the weight;
 * the client IP's bucket because no sticky key was present; or the rollout's state
 * (aborted/rolled_back force stable, promoted forces canary).
 */
export type DecisionReason = 'rule' | 'weight' | 'no-key' | 'state';

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
}

/**
 * Where one request goes and why. Decisions without a bucket are shared frozen objects: treat
 * every decision as read-only.
 */
export interface Decision {
  side: Side;
  reason: DecisionReason;
  /** the bucket in [0, 10000) the weight was compared with; -1 when no bucket was used */
  bucket: number;
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
  /** Stable or canary for one request, with the reason. Pure and allocation-light. */
  decide(facts: RequestFacts): Decision;
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
