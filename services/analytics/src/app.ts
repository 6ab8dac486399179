import { httpAuthOf, type Logger } from '@graylane/runtime';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installAccessHook, type AnalyticsAccess } from './http/access-hook.js';
import { installErrorHandler } from './http/error-handler.js';
import { registerHealthRoutes, type MetricsSource, type ReadinessCheck } from './http/health-routes.js';
import { registerDashboardRoutes } from './http/dashboard-routes.js';
import { registerReportRoutes } from './http/report-routes.js';
import { registerVerdictRoutes } from './http/verdict-routes.js';
import type { ReportSource } from './store/metrics-store.js';
import type { VerdictSource } from './store/verdict-store.js';

export type { ReadinessCheck, MetricsSource } from './http/health-routes.js';

/** What the HTTP app needs; tests pass their own. */
export interface AppDeps {
  logger: Logger;
  reports: ReportSource;
  readiness: readonly ReadinessCheck[];
  metrics: MetricsSource;
  verdicts: VerdictSource;
  /** Names of the rollouts in the latest routing table, for the dashboard. */
  rolloutNames: () => readonly string[];
  /** Who may read reports and write; without it writes are closed and reads open. */
  access?: AnalyticsAccess;
}

const CLOSED_WRITES: AnalyticsAccess = { writes: httpAuthOf([], { tokenVariable: 'GRAYLANE_ANALYTICS_TOKEN', switchVariable: 'GRAYLANE_ANALYTICS_AUTH' }), reads: undefined };

/** The analytics HTTP app, not listening yet: `main.ts` listens, tests use `inject()`. */
export function buildApp(deps: AppDeps): FastifyInstance {
  // Typed as fastify's logger so that routes are plain FastifyInstance plugins.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'http' });
  // No per-request log lines: /metrics and /readyz are polled every few seconds.
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }) });
  installErrorHandler(app);
  installAccessHook(app, deps.access ?? CLOSED_WRITES);
  registerHealthRoutes(app, deps.readiness, deps.metrics);
  registerReportRoutes(app, deps.reports);
  registerVerdictRoutes(app, deps.verdicts);
  registerDashboardRoutes(app, deps.rolloutNames);
  return app;
}
