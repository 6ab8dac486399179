import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraylaneError } from '@graylane/contracts';
import { asGraylaneError, checkBearer, httpStatusOf, type HttpAuth } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { requestErrorOf, useBoundedJsonBodies } from './json-body.js';

export interface HttpDeps {
  service: CommandService;
  /** `GRAYLANE_CONFIG_TOKEN` / `GRAYLANE_CONFIG_AUTH`: who may call the command API (closed when no token is set). */
  auth: HttpAuth;
  isReady: () => boolean;
  /** The step driver's state, when this process runs one. */
  steps?: { holdsLease: boolean; advanced: number };
}

/** Health, readiness, Prometheus metrics and the HTTP twin of the NATS command API. */
export function registerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  useBoundedJsonBodies(app);
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  app.get('/metrics', async (_request, reply) => {
    const { handled, failed, writes, lastVersion } = deps.service.stats;
    const text = [
      '# TYPE graylane_config_commands_total counter',
      `graylane_config_commands_total ${handled}`,
      '# TYPE graylane_config_command_failures_total counter',
      `graylane_config_command_failures_total ${failed}`,
      '# TYPE graylane_config_writes_total counter',
      `graylane_config_writes_total ${writes}`,
      '# TYPE graylane_config_version gauge',
      `graylane_config_version ${lastVersion}`,
      '# TYPE graylane_config_step_lease_held gauge',
      `graylane_config_step_lease_held ${deps.steps?.holdsLease === true ? 1 : 0}`,
      '# TYPE graylane_config_steps_advanced_total counter',
      `graylane_config_steps_advanced_total ${deps.steps?.advanced ?? 0}`,
      '',
    ].join('\n');
    return reply.type('text/plain; version=0.0.4').send(text);
  });

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
    return reply.code(httpStatusOf(failure.code)).send({ ok: false, error: failure.toBody() });
  });
}
