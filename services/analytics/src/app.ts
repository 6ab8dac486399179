import { httpAuthOf, type Logger } from '@graylane/runtime';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installAccessHook, type AnalyticsAccess } from './http/access-hook.js';
import { installErrorHandler } from './http/error-handler.js';
import { registerHealthRoutes, type MetricsSource, type ReadinessCheck } from './http/health-routes.js';
import { registerActionRelay } from './http/action-relay.js';
import { registerDashboardRoutes } from './http/dashboard-routes.js';
import { registerReportRoutes } from './http/report-routes.js';
import { registerRolloutRoutes } from './http/rollout-routes.js';
import { registerSeriesRoutes } from './http/series-routes.js';
import { registerVerdictRoutes } from './http/verdict-routes.js';
import type { VersionedTable } from './guardrails/routing-table-watch.js';
import type { ConfigHistorySource } from './nats/config-history.js';
import type { ReportSource, SeriesSource } from './store/metrics-store.js';
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
  /** The dashboard's data: without it only the pages and the rollout list are served. */
  dashboard?: DashboardDeps;
}

/** What the dashboard's overview, charts, timeline and actions read from. */
export interface DashboardDeps {
  series: SeriesSource;
  /** The latest routing table and its version. */
  table: () => VersionedTable | undefined;
  history: ConfigHistorySource;
  /** `GRAYLANE_CONFIG_URL`; undefined keeps the dashboard read-only. */
  configUrl: string | undefined;
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
  if (deps.dashboard !== undefined) {
    registerSeriesRoutes(app, deps.dashboard.series);
    registerRolloutRoutes(app, { table: deps.dashboard.table, history: deps.dashboard.history, reports: deps.reports, verdicts: deps.verdicts });
    registerActionRelay(app, deps.dashboard.configUrl);
  }
  return app;
}
