import { GraylaneError } from '@graylane/contracts';
import type { FastifyInstance } from 'fastify';
import type { SeriesSource } from '../store/metrics-store.js';
import { defaultStepSeconds, MAX_SERIES_POINTS, maxSlotCount } from '../store/series.js';
import { DEFAULT_REPORT_SINCE, sinceSecondsOf } from './report-routes.js';

/**
 * `GET /api/v1/series/:name?since=15m&step=15s`: per-pool requests, errors and P50/P95/P99 in
 * buckets of `step` (about 60 buckets when absent), for the dashboard's charts. A step that is
 * malformed, wider than the window or too fine for it is a 400 naming the parameter.
 */
export function registerSeriesRoutes(app: FastifyInstance, series: SeriesSource): void {
  app.get<{ Params: { name: string }; Querystring: { since?: string; step?: string } }>('/api/v1/series/:name', async (request) => {
    const sinceSeconds = sinceSecondsOf(request.query.since ?? DEFAULT_REPORT_SINCE);
    const stepSeconds = request.query.step === undefined ? defaultStepSeconds(sinceSeconds) : stepSecondsOf(request.query.step, sinceSeconds);
    return series.series(request.params.name, sinceSeconds, stepSeconds);
  });
}

/** Whole seconds of `step`, between 1 s and the window, and no more than MAX_SERIES_POINTS buckets. */
export function stepSecondsOf(step: string, sinceSeconds: number): number {
  let seconds: number;
  try {
    seconds = sinceSecondsOf(step);
  } catch (error) {
    throw new GraylaneError('GRAYLANE_VALIDATION', (error as Error).message.replace(/^since/, 'step'), { cause: error, field: 'step' });
  }
  if (seconds > sinceSeconds) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `step: expected at most the window (${sinceSeconds} s), got "${step}"`, { field: 'step' });
  }
  if (maxSlotCount(sinceSeconds, seconds) > MAX_SERIES_POINTS) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `step: "${step}" cuts the window into more than ${MAX_SERIES_POINTS} buckets; use a wider step`, {
      field: 'step',
    });
  }
  return seconds;
}
