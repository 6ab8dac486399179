import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraylaneError, type ProxyStatusV1 } from '@graylane/contracts';
import { asGraylaneError, checkBearer, httpStatusOf, type HttpAuth } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { configMetrics } from './config-metrics.js';
import { requestErrorOf, useBoundedJsonBodies } from './json-body.js';

export interface HttpDeps {
  service: CommandService;
  /** `GRAYLANE_CONFIG_TOKEN` / `GRAYLANE_CONFIG_AUTH`: who may call the command API (closed when no token is set). */
  auth: HttpAuth;
  isReady: () => boolean;
  /** The step driver's state, when this process runs one. */
  steps?: { holdsLease: boolean; advanced: number };
  /** Live proxies and their applied versions (heartbeats), for `/metrics`. */
  proxies?: () => readonly ProxyStatusV1[];
}

/** Health, readiness, Prometheus metrics and the HTTP twin of the NATS command API. */
export function registerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  useBoundedJsonBodies(app);
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  const metrics = configMetrics({ stats: deps.service.stats, read: () => deps.service.read(), steps: deps.steps, proxies: deps.proxies });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.render()));

  const actors = new WeakMap<FastifyRequest, string>();
  // On the route, before the body is read: a caller without the token gets no parser to probe.
  // The matching token's name is the actor history records; a body's `actor` is only noted beside it.
  const commandGuard = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const outcome = checkBearer(deps.auth, request.headers.authorization, 'the command API');
    if (outcome instanceof GraylaneError) return reply.code(httpStatusOf(outcome.code)).send({ ok: false, error: outcome.toBody() });
    if (!deps.auth.open) actors.set(request, outcome.name);
    return undefined;
  };

  app.post<{ Params: { verb: string } }>('/api/v1/commands/:verb', { onRequest: commandGuard }, async (request, reply) => {
    const actor = actors.get(request);
    const result = await deps.service.execute(request.params.verb, request.body ?? {}, actor === undefined ? undefined : { actor });
    return reply.code(result.ok ? 200 : httpStatusOf(result.error.code)).send(result);
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    // Fastify's own errors (malformed JSON, oversized body) arrive here with a 4xx status.
    const failure = requestErrorOf(error) ?? asGraylaneError(error);
    if (failure.code === 'GRAYLANE_INTERNAL') request.log.error({ err: error }, 'request failed');
    if (!request.raw.complete) {
      // A body refused before it was read whole (too large, too deep): fastify asks to close the
      // connection, and Node then resets it while the client is still sending, so the client sees
      // EPIPE instead of this answer. Keep the connection and let Node discard the rest instead
      // (bounded by the server's request timeout), as nginx's lingering close does.
      reply.removeHeader('connection');
      request.raw.resume();
    }
    return reply.code(httpStatusOf(failure.code)).send({ ok: false, error: failure.toBody() });
  });
}
