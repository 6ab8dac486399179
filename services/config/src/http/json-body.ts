import type { FastifyInstance } from 'fastify';
import { GraylaneError } from '@graylane/contracts';

/** Largest command body accepted: a spec with 2 000 listed users of 256 characters fits twice over. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Deepest nesting of arrays and objects accepted. A rollout spec is at most about 8 levels deep;
 * a body nested thousands of levels is an attack on every recursive step after parsing
 * (validation, copying, serialising), refused before any of them runs.
 */
export const MAX_JSON_DEPTH = 64;

/** How deep `text` nests arrays and objects, stopping as soon as it passes `limit`; strings are skipped. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * Replaces the JSON body parser of `app` by fastify's own (which refuses `__proto__` and
 * `constructor.prototype` keys) behind a depth check, with the body limit set here so that an
 * oversized body is a 413 the error handler recognises.
 */
export function useBoundedJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(new GraylaneError('GRAYLANE_BAD_JSON', `the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    // fastify's parser reports through `done`; its return value carries nothing.
    void parse(request, text, done);
  });
}

/**
 * A failure fastify raised before the route ran (body parsing, size, media type) as a
 * GraylaneError: 413 is GRAYLANE_PAYLOAD_TOO_LARGE (not retryable: the same body fails again),
 * 400 GRAYLANE_BAD_JSON, other client errors GRAYLANE_VALIDATION; undefined for anything else.
 */
export function requestErrorOf(error: Error & { statusCode?: number; code?: string }): GraylaneError | undefined {
  if (error instanceof GraylaneError) return error;
  const status = error.statusCode;
  if (status === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new GraylaneError('GRAYLANE_PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`, { cause: error });
  }
  if (status === 400) return new GraylaneError('GRAYLANE_BAD_JSON', error.message, { cause: error });
  if (status !== undefined && status > 400 && status < 500) return new GraylaneError('GRAYLANE_VALIDATION', error.message, { cause: error });
  return undefined;
}
