import { GraylaneError } from '@graylane/contracts';
import type { FastifyInstance } from 'fastify';

/** The dashboard's buttons, and `status` for its proxies table; nothing else is relayed. */
export const RELAYED_VERBS: ReadonlySet<string> = new Set(['weight', 'pause', 'resume', 'promote', 'abort', 'status']);

/** The relay's only route, which the access hook leaves to the config service to authorise. */
export const ACTION_ROUTE = '/api/v1/actions/:verb';

const RELAY_TIMEOUT_MS = 10_000;

/**
 * `POST /api/v1/actions/:verb`: forwards the body to the config service's
 * `POST /api/v1/commands/:verb` with the caller's own `Authorization` header, and answers with
 * config's status and body, so a refusal says why in config's words. The relay holds no
 * credential of its own: without the operator's token config refuses, and with it config records
 * the token's name as the actor. Same origin as the page, so config needs no CORS and its port
 * need not be reachable from browsers.
 */
export function registerActionRelay(app: FastifyInstance, configUrl: string | undefined): void {
  app.post<{ Params: { verb: string } }>(ACTION_ROUTE, { bodyLimit: 16 * 1024 }, async (request, reply) => {
    const verb = request.params.verb;
    if (!RELAYED_VERBS.has(verb)) {
      throw new GraylaneError('GRAYLANE_UNKNOWN_COMMAND', `the dashboard relays only ${[...RELAYED_VERBS].join(', ')}; got "${verb}"`, { field: 'verb' });
    }
    if (configUrl === undefined) {
      throw new GraylaneError('GRAYLANE_UNAVAILABLE', 'actions are off: the analytics service has no GRAYLANE_CONFIG_URL');
    }
    const authorization = request.headers.authorization;
    if (authorization === undefined || authorization === '') {
      throw new GraylaneError('GRAYLANE_UNAUTHORIZED', 'sign in with a config API token to act on rollouts');
    }
    let answer: Response;
    try {
      answer = await fetch(`${configUrl}/api/v1/commands/${verb}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(request.body ?? {}),
        signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
      });
    } catch (error) {
      throw new GraylaneError('GRAYLANE_UNAVAILABLE', `the config service at ${configUrl} did not answer: ${(error as Error).message}`, { cause: error });
    }
    const text = await answer.text();
    return reply.code(answer.status).type('application/json; charset=utf-8').send(text);
  });
}
