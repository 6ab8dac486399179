import { GraylaneError, type RoutingTableV1 } from '@graylane/contracts';
import { CompileSite, pointer } from './compile-error.js';
import { compileRolloutAt, type Rollout } from './rollout.js';
import type { CompiledRollout, RoutingTable } from './types.js';

/** A rollout under one path prefix, for one host or for any host. */
interface Route {
  readonly prefix: string;
  readonly anyHost: boolean;
  readonly rollout: Rollout;
}

class Table implements RoutingTable {
  constructor(
    readonly version: number,
    readonly rollouts: readonly CompiledRollout[],
    /** per listed host: its own routes and the any-host routes, best first */
    private readonly byHost: ReadonlyMap<string, readonly Route[]>,
    /** routes of rollouts that list no hosts, best first */
    private readonly anyHost: readonly Route[],
  ) {
    Object.freeze(this);
  }

  match(host: string, path: string): CompiledRollout | undefined {
    const routes = this.byHost.get(host) ?? this.anyHost;
    for (const route of routes) {
      if (path.startsWith(route.prefix)) return route.rollout;
    }
    return undefined;
  }
}

/** The table before the first config version: no rollouts, every request unmatched. */
export const EMPTY_TABLE: RoutingTable = new Table(0, Object.freeze([]), new Map(), Object.freeze([]));

/**
 * Compiles the routing table (the KV value, already schema-checked) into an immutable table for
 * config version `version`. Throws GRAYLANE_VALIDATION naming the rollout and field for a bad
 * rollout (see {@link compileRollout}), and GRAYLANE_CONFLICT when two rollouts claim the same
 * host and path prefix, since a request there could go to either.
 *
 * Path prefixes match as plain string prefixes, as nginx and Envoy do: `/api` also matches
 * `/apix`; write `/api/` to stop at the segment.
 */
export function compileTable(table: RoutingTableV1, version: number): RoutingTable {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `invalid config version ${String(version)}: expected an integer ≥ 0`);
  }
  const names = Object.keys(table.rollouts).sort();
  const rollouts: Rollout[] = [];
  for (const key of names) {
    const record = table.rollouts[key];
    if (record === undefined) continue;
    const base = `/rollouts${pointer([key])}`;
    if (record.name !== key) {
      throw new GraylaneError(
        'GRAYLANE_VALIDATION',
        `rollout "${key}": name: the record is named ${JSON.stringify(record.name)} but stored under "${key}"`,
        { field: `${base}/name` },
      );
    }
    rollouts.push(compileRolloutAt(record, new CompileSite(key, base)));
  }
  const { byHost, anyHost } = indexRoutes(rollouts);
  return new Table(version, Object.freeze(rollouts), byHost, anyHost);
}

function indexRoutes(rollouts: readonly Rollout[]): {
  byHost: ReadonlyMap<string, readonly Route[]>;
  anyHost: readonly Route[];
} {
  const claims = new Map<string, Rollout>();
  const anyHost: Route[] = [];
  const ownRoutes = new Map<string, Route[]>();
  for (const rollout of rollouts) {
    const prefix = rollout.pathPrefix;
    const hosts = rollout.hosts.length === 0 ? [undefined] : rollout.hosts;
    for (const host of hosts) {
      const claim = `${host ?? ''}\u0000${prefix}`;
      const other = claims.get(claim);
      if (other !== undefined) throw conflict(other, rollout, host, prefix);
      claims.set(claim, rollout);
      const route: Route = Object.freeze({ prefix, anyHost: host === undefined, rollout });
      if (host === undefined) {
        anyHost.push(route);
      } else {
        const routes = ownRoutes.get(host);
        if (routes === undefined) ownRoutes.set(host, [route]);
        else routes.push(route);
      }
    }
  }
  anyHost.sort(bestFirst);
  const byHost = new Map<string, readonly Route[]>();
  for (const [host, routes] of ownRoutes) {
    byHost.set(host, Object.freeze([...routes, ...anyHost].sort(bestFirst)));
  }
  return { byHost, anyHost: Object.freeze(anyHost) };
}

/** Longest prefix first; on equal prefixes the rollout naming the host before any-host ones. */
function bestFirst(a: Route, b: Route): number {
  if (a.prefix.length !== b.prefix.length) return b.prefix.length - a.prefix.length;
  return Number(a.anyHost) - Number(b.anyHost);
}

function conflict(first: Rollout, second: Rollout, host: string | undefined, prefix: string): GraylaneError {
  const where = host === undefined ? 'any host (no hosts listed)' : `host ${host}`;
  return new GraylaneError(
    'GRAYLANE_CONFLICT',
    `rollout "${second.name}": spec.match: ${where} with path prefix ${prefix} is already claimed by rollout "${first.name}"`,
    { field: `/rollouts${pointer([second.name, 'spec', 'match'])}` },
  );
}
