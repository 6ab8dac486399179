import { GraylaneError } from '@graylane/contracts';
import { checkBearer, httpStatusOf, type HttpAuth } from '@graylane/runtime';
import type { FastifyInstance } from 'fastify';
import { ACTION_ROUTE } from './action-relay.js';

/** Who may call what on the analytics port. */
export interface AnalyticsAccess {
  /**
   * `GRAYLANE_ANALYTICS_TOKEN` / `GRAYLANE_ANALYTICS_AUTH`: every method that is not a read, except
   * the dashboard's action relay, whose bearer is a config API token that the config service checks.
   */
  readonly writes: HttpAuth;
  /**
   * `GRAYLANE_ANALYTICS_READ_TOKEN`: when set, reports, verdicts and the rollout list need it.
   * Unset, they are open to whoever reaches the port, which listens on loopback unless
   * `GRAYLANE_HTTP_HOST` publishes it: an explicit choice, documented in docs/security.md.
   */
  readonly reads: HttpAuth | undefined;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Probes and Prometheus: no data about rollouts, and their callers hold no token. */
const ALWAYS_OPEN = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One hook for the whole app that decides on the route fastify matched (`routeOptions.url`), never
 * on the raw URL, so an encoded path (`/api/v1/%72eports/x`) meets the same check as the plain one.
 */
export function installAccessHook(app: FastifyInstance, access: AnalyticsAccess): void {
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    // The relay forwards the caller's own bearer to config and adds no rights: config decides.
    if (request.method === 'POST' && route === ACTION_ROUTE) return undefined;
    let auth: HttpAuth | undefined;
    if (!READS.has(request.method)) auth = access.writes;
    else if (route !== undefined && route.startsWith('/api/')) auth = access.reads;
    if (auth === undefined || (route !== undefined && ALWAYS_OPEN.has(route))) return undefined;
    const outcome = checkBearer(auth, request.headers.authorization, READS.has(request.method) ? 'reading reports' : 'writing on the analytics API');
    if (outcome instanceof GraylaneError) return reply.status(httpStatusOf(outcome.code)).send({ error: outcome.toBody() });
    return undefined;
  });
}
