import { GraylaneError } from '@graylane/contracts';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_VERDICT_LIMIT, type StoredVerdict, type VerdictSource } from '../store/verdict-store.js';
import { DEFAULT_REPORT_SINCE, sinceSecondsOf } from './report-routes.js';

/** The body of `GET /api/v1/verdicts/:name`. */
export interface VerdictListBody {
  rollout: string;
  sinceSeconds: number;
  verdicts: StoredVerdict[];
}

/**
 * `GET /api/v1/verdicts/:name?since=15m&limit=100`: the stored guardrail verdicts of a rollout,
 * newest first. Bad `since` or `limit` is a 400 naming the parameter.
 */
export function registerVerdictRoutes(app: FastifyInstance, verdicts: VerdictSource): void {
  app.get<{ Params: { name: string }; Querystring: { since?: string; limit?: string } }>('/api/v1/verdicts/:name', async (request) => {
    const sinceSeconds = sinceSecondsOf(request.query.since ?? DEFAULT_REPORT_SINCE);
    const limit = limitOf(request.query.limit);
    const body: VerdictListBody = {
      rollout: request.params.name,
      sinceSeconds,
      verdicts: await verdicts.verdicts(request.params.name, sinceSeconds, limit),
    };
    return body;
  });
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_VERDICT_LIMIT;
  const limit = Number(text);
  if (!/^[0-9]+$/.test(text) || limit < 1 || limit > 10_000) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `limit: expected a whole number 1-10000, got "${text}"`, { field: 'limit' });
  }
  return limit;
}
