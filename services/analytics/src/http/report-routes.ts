import { GraylaneError, parseDuration, parseWith, ReportRequestV1 } from '@graylane/contracts';
import type { FastifyInstance } from 'fastify';
import type { ReportSource } from '../store/metrics-store.js';

/** Window of a report when the request names none. */
export const DEFAULT_REPORT_SINCE = '15m';

/**
 * `GET /api/v1/reports/:name?since=15m`: the same ReportV2 the NATS responder gives. A malformed
 * or out-of-range `since` is a 400 naming the parameter.
 */
export function registerReportRoutes(app: FastifyInstance, reports: ReportSource): void {
  app.get<{ Params: { name: string }; Querystring: { since?: string } }>('/api/v1/reports/:name', async (request) => {
    const sinceSeconds = sinceSecondsOf(request.query.since ?? DEFAULT_REPORT_SINCE);
    const valid = parseWith(ReportRequestV1, { name: request.params.name, sinceSeconds }, 'report request');
    return reports.report(valid.name, valid.sinceSeconds);
  });
}

/** Whole seconds of a `since` duration such as `90s`, `15m` or `2h`; rounds part seconds up. */
export function sinceSecondsOf(since: string): number {
  let ms: number;
  try {
    ms = parseDuration(since);
  } catch (error) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `since: ${(error as Error).message}`, { cause: error, field: 'since' });
  }
  if (ms <= 0) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `since: expected a duration above zero, got "${since}"`, { field: 'since' });
  }
  const seconds = Math.ceil(ms / 1000);
  const max = 31 * 86_400;
  if (seconds > max) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `since: expected at most 31 days (744h), got "${since}"`, { field: 'since' });
  }
  return seconds;
}
