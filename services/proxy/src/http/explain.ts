import type { FastifyInstance } from 'fastify';
import { cookieValue, type RequestFacts } from '@graylane/routing';
import { hostWithoutPort } from '../routing/request-facts.js';
import type { RequestDecider } from '../routing/request-decider.js';
import type { TableHolder } from '../routing/table-holder.js';
import { errorBody } from './error-response.js';

export interface ExplainDeps {
  holder: TableHolder;
  decider: RequestDecider;
}

/** The request an operator asks about, from the query string of GET /_graylane/explain. */
export interface ExplainQuery {
  host?: string;
  /** path, optionally with its query string (`/checkout?beta=1`) */
  path?: string;
  ip?: string;
  /** `name:value`, repeatable */
  header?: string | string[];
  /** a whole Cookie header: `uid=42; SESSIONID=abc` */
  cookie?: string;
}

/** RequestFacts described by an explain query instead of a live request. */
class DescribedFacts implements RequestFacts {
  readonly host: string;
  readonly path: string;
  readonly clientIp: string;
  private readonly described = new Map<string, string>();
  private readonly params: URLSearchParams;
  private readonly cookieHeader: string | undefined;

  constructor(query: ExplainQuery) {
    const path = query.path ?? '/';
    const q = path.indexOf('?');
    this.path = q === -1 ? path : path.slice(0, q);
    this.params = new URLSearchParams(q === -1 ? '' : path.slice(q + 1));
    this.host = hostWithoutPort(query.host ?? '');
    this.clientIp = query.ip ?? '';
    for (const pair of typeof query.header === 'string' ? [query.header] : (query.header ?? [])) {
      const colon = pair.indexOf(':');
      if (colon > 0) this.described.set(pair.slice(0, colon).trim().toLowerCase(), pair.slice(colon + 1).trim());
    }
    this.cookieHeader = query.cookie;
    if (query.cookie !== undefined) this.described.set('cookie', query.cookie);
  }

  header(name: string): string | undefined {
    return this.described.get(name);
  }

  cookie(name: string): string | undefined {
    return cookieValue(this.cookieHeader, name);
  }

  query(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }
}

/**
 * `GET /_graylane/explain?host=&path=&ip=&header=name:value&cookie=` on the admin port: what a
 * request with these facts would get right now, and why, including its session binding from
 * Redis. It sits on the admin port, not the data plane, so it takes no path from proxied traffic
 * and is reachable only where the admin port is. It writes no binding.
 */
export function registerExplain(admin: FastifyInstance, deps: ExplainDeps): void {
  admin.get<{ Querystring: ExplainQuery }>('/_graylane/explain', async (request, reply) => {
    const table = deps.holder.current;
    const facts = new DescribedFacts(request.query);
    const rollout = table.match(facts.host, facts.path);
    if (rollout === undefined) {
      return reply.code(404).send(errorBody('GRAYLANE_NOT_FOUND', `no rollout matches host "${facts.host}" and path "${facts.path}"`, { configVersion: table.version }));
    }
    const explained = await deps.decider.explain(rollout, facts);
    const decision = explained.decision;
    return {
      configVersion: table.version,
      rollout: rollout.name,
      state: rollout.state,
      weight: rollout.basisPoints / 100,
      side: decision.side,
      reason: decision.reason,
      bucket: decision.bucket,
      pool: { key: decision.pool.key, name: decision.pool.name, region: decision.pool.region, upstreams: decision.pool.upstreams },
      region: decision.region,
      stickyKey: rollout.stickyKeyOf(facts) ?? null,
      session:
        rollout.session === undefined
          ? null
          : { cookie: rollout.session.cookie, id: explained.sessionId ?? null, binding: explained.binding === undefined ? null : explained.binding || null },
      listedUser: explained.listedUser ?? null,
      override: explained.override,
    };
  });
}
