import type { FastifyInstance } from 'fastify';
import { GraylaneError } from '@graylane/contracts';
import { httpStatusOf } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { identityOfBearer, type TokenIdentity } from './token-identities.js';

export interface HttpDeps {
  service: CommandService;
  /** Named bearer tokens of the command API; empty leaves it open, with no authenticated actor. */
  tokens: readonly TokenIdentity[];
  isReady: () => boolean;
  /** The step driver's state, when this process runs one. */
  steps?: { holdsLease: boolean; advanced: number };
}

/** Health, readiness, Prometheus metrics and the HTTP twin of the NATS command API. */
export function registerRoutes(app: FastifyInstance, deps: HttpDeps): void {
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

  app.post<{ Params: { verb: string } }>('/api/v1/commands/:verb', async (request, reply) => {
    // The token's name is the actor history records; a body's `actor` is only noted beside it.
    const actor = deps.tokens.length === 0 ? undefined : identityOfBearer(request.headers.authorization, deps.tokens);
    if (deps.tokens.length > 0 && actor === undefined) {
      const failure = new GraylaneError('GRAYLANE_UNAUTHORIZED', 'missing or wrong bearer token');
      return reply.code(httpStatusOf(failure.code)).send({ ok: false, error: failure.toBody() });
    }
    const result = await deps.service.execute(request.params.verb, request.body ?? {}, actor === undefined ? undefined : { actor });
    return reply.code(result.ok ? 200 : httpStatusOf(result.error.code)).send(result);
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    // Fastify's own errors (malformed JSON, oversized body) arrive here with a 4xx status.
    const failure =
      error instanceof GraylaneError
        ? error
        : new GraylaneError(error.statusCode === 400 ? 'GRAYLANE_BAD_JSON' : 'GRAYLANE_INTERNAL', error.message);
    return reply.code(httpStatusOf(failure.code)).send({ ok: false, error: failure.toBody() });
  });
}
