import { GraylaneError } from '@graylane/contracts';
import { asGraylaneError, httpStatusOf } from '@graylane/runtime';
import type { FastifyInstance } from 'fastify';

/**
 * The one place errors become HTTP responses: a GraylaneError gets the status of its code and
 * `{ error: { code, message, retryable, field? } }`; fastify's own client errors (bad JSON,
 * unsupported media type) become validation errors; anything else is a logged 500.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const typed = typedError(error);
    const status = httpStatusOf(typed.code);
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.status(status).send({ error: typed.toBody() });
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new GraylaneError('GRAYLANE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`);
    return reply.status(404).send({ error: error.toBody() });
  });
}

function typedError(error: unknown): GraylaneError {
  if (error instanceof GraylaneError) return error;
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = (error as { code?: unknown }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'GRAYLANE_BAD_JSON' : 'GRAYLANE_VALIDATION';
    return new GraylaneError(code, (error as Error).message, { cause: error });
  }
  return asGraylaneError(error);
}
