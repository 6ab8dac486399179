// Wires the analytics service together; every piece lives in its own module.
import {
  closeHttpWithin,
  closeOnSignals,
  ConfigError,
  connectNats,
  createLogger,
  openAuthWarning,
  openConfigBucket,
  untilJetStreamAnswers,
  type Logger,
} from '@graylane/runtime';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { GuardrailLoop } from './guardrails/guardrail-loop.js';
import { RoutingTableWatch } from './guardrails/routing-table-watch.js';
import { ConfigHistory } from './nats/config-history.js';
import { EventsRecorder } from './nats/events-recorder.js';
import { MetricsConsumer } from './nats/metrics-consumer.js';
import { startReportResponder } from './nats/report-responder.js';
import { guardrailPublishers } from './nats/rollback-publisher.js';
import { AnalyticsMetrics } from './self-metrics.js';
import { createClickHouse } from './store/clickhouse.js';
import { EventStore } from './store/event-store.js';
import { MetricsStore } from './store/metrics-store.js';
import { applyMigrations } from './store/migrations.js';
import { RetentionJob } from './store/retention-job.js';
import type { SchemaTarget } from './store/schema-target.js';
import { detectServer } from './store/server-features.js';
import { httpSqlRunner, type SqlRunner } from './store/sql-runner.js';
import { VerdictStore, withVerdicts } from './store/verdict-store.js';

const logger = createLogger('analytics');

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const openWarning = openAuthWarning(config.access.writes, 'the analytics API (writes)');
  if (openWarning !== undefined) logger.warn(openWarning);
  if (config.access.reads === undefined) logger.info('reports and the dashboard are open to whoever reaches the HTTP port (no GRAYLANE_ANALYTICS_READ_TOKEN)');
  const nc = await connectNats(config.natsUrl, logger.child({ module: 'nats' }), { name: 'graylane-analytics', waitForServer: true, auth: config.natsAuth });
  await untilJetStreamAnswers(nc, logger.child({ module: 'nats' }));
  const clickhouse = createClickHouse(config.clickhouseUrl, logger);
  const store = new MetricsStore(clickhouse, config.clickhouseDatabase);
  const verdictStore = new VerdictStore(clickhouse, config.clickhouseDatabase);
  const reports = withVerdicts(store, verdictStore);
  const metrics = new AnalyticsMetrics();
  const configBucket = await openConfigBucket(nc, undefined, { replicas: config.jetstreamReplicas });
  const tableWatch = await RoutingTableWatch.start(configBucket, logger.child({ module: 'guardrails' }));
  // Filled in as start-up proceeds; /readyz reads it.
  const state: { migrated: boolean; consumer?: MetricsConsumer } = { migrated: false };

  const app = buildApp({
    logger,
    reports,
    verdicts: verdictStore,
    rolloutNames: () => Object.keys(tableWatch.latest?.table.rollouts ?? {}),
    access: config.access,
    dashboard: {
      series: store,
      table: () => tableWatch.latest,
      history: new ConfigHistory(configBucket, () => tableWatch.latest?.version),
      configUrl: config.configUrl,
    },
    metrics,
    readiness: [
      { name: 'nats', check: async () => (await nc.rtt()) >= 0 },
      { name: 'clickhouse', check: async () => state.migrated && (await store.ping()) },
      { name: 'ingest', check: async () => state.consumer?.running ?? false },
    ],
  });
  // Listen first so that /healthz answers and /readyz shows what is missing while we wait.
  // Loopback unless GRAYLANE_HTTP_HOST publishes the API and dashboard on purpose.
  await app.listen({ port: config.port, host: config.host });

  const runner = httpSqlRunner(clickhouse);
  const target = await migrateWhenReachable(runner, config.clickhouseDatabase, config.clickhouseCluster, logger.child({ module: 'migrations' }));
  state.migrated = true;
  const retention = new RetentionJob(runner, target, config.retentionDays, logger.child({ module: 'retention' }));
  retention.start();
  const consumer = await MetricsConsumer.start(nc, store, metrics, logger.child({ module: 'ingest' }), config);
  state.consumer = consumer;
  metrics.backlog = () => consumer.backlog();
  const responder = startReportResponder(nc, reports, logger.child({ module: 'reports' }));
  const recorder = await EventsRecorder.start(nc, new EventStore(clickhouse, config.clickhouseDatabase), logger.child({ module: 'audit' }), {
    replicas: config.jetstreamReplicas,
  });
  const publishers = await guardrailPublishers(nc, { replicas: config.jetstreamReplicas });
  const guardrails = new GuardrailLoop(
    {
      pools: store,
      verdicts: verdictStore,
      publishRollback: publishers.rollback,
      publishPause: publishers.pause,
      table: () => tableWatch.latest,
      now: () => Date.now(),
      logger: logger.child({ module: 'guardrails' }),
      onVerdict: (verdict, published) => {
        metrics.countVerdict(verdict.rollout, verdict.outcome);
        if (published === 'published') metrics.rollbacksPublished += 1;
      },
    },
    { settleMs: config.guardrailSettleMs, tickMs: config.guardrailTickMs },
  );
  guardrails.start();
  logger.info({ port: config.port, host: config.host, database: config.clickhouseDatabase }, 'analytics ready');

  // Closed last to first: stop taking requests, stop judging, write what was received, then disconnect.
  closeOnSignals(logger, [
    () => nc.drain(),
    () => clickhouse.close(),
    () => retention.stop(),
    () => consumer.stop(),
    () => recorder.stop(),
    () => tableWatch.stop(),
    () => guardrails.stop(),
    () => responder.drain(),
    () => closeHttpWithin(app, config.drainGraceMs),
  ], { graceMs: config.drainGraceMs });
}

/**
 * Asks the server its version once (the schema and retention follow from it), then migrates.
 * ClickHouse may start after us (compose, `graylane up`): retry until it answers.
 */
async function migrateWhenReachable(runner: SqlRunner, database: string, cluster: string | undefined, log: Logger): Promise<SchemaTarget> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const features = await detectServer(runner);
      log.info({ version: features.version, ttl: features.ttl, lowCardinality: features.lowCardinality, cluster }, 'ClickHouse server');
      const target: SchemaTarget = { database, features, ...(cluster === undefined ? {} : { cluster }) };
      await applyMigrations(runner, target, log);
      return target;
    } catch (error) {
      // A setting the server cannot honour will not get better by waiting.
      if (error instanceof ConfigError) throw error;
      const delayMs = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
      log.warn({ err: error, attempt, retryInMs: delayMs }, 'cannot apply ClickHouse migrations yet');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) logger.fatal({ variable: error.variable }, error.message);
  else logger.fatal({ err: error }, 'analytics failed to start');
  process.exit(1);
});
