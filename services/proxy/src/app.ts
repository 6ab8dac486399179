import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { httpAuthOf, type HttpAuth, type Logger } from '@graylane/runtime';
import { UpstreamRegistry } from './forward/upstream-pool.js';
import { DEFAULT_FORWARDING, type ForwardingConfig } from './forward/forwarding-config.js';
import type { Forwarder } from './forward/forwarder.js';
import { createForwarder } from './forward/create-forwarder.js';
import { RequestStats } from './forward/request-stats.js';
import { RetryBudget } from './forward/retry-budget.js';
import { UpstreamHealth } from './health/upstream-health.js';
import { Drainer } from './lifecycle/drain.js';
import { OriginRetirer } from './lifecycle/origin-retirer.js';
import { originsNamedBy, type RetirementSettings } from './lifecycle/retirement-plan.js';
import { buildAdmin } from './http/admin.js';
import { RequestErrorLog } from './http/request-error-log.js';
import { proxyRegistry } from './http/admin-metrics.js';
import { buildDataPlane, type DataPlane } from './http/data-plane.js';
import type { ClientLimits } from './http/client-limits.js';
import { BatchPublisher, type PublishBatch } from './metrics/batch-publisher.js';
import { MetricAggregator } from './metrics/metric-aggregator.js';
import { TableHolder } from './routing/table-holder.js';
import type { Redis } from 'ioredis';
import { registerExplain } from './http/explain.js';
import { poolHealthOf } from './routing/pool-health.js';
import { RequestDecider } from './routing/request-decider.js';
import { BindingStore } from './session/binding-store.js';
import { registerBindingRoutes } from './session/binding-routes.js';
import type { AnnounceBindingChange } from './session/binding-broadcast.js';
import { registerSessionMetrics } from './session/session-metrics.js';
import type { SessionConfig } from './session/session-config.js';

export interface ProxyAppDeps {
  proxyId: string;
  publish: PublishBatch;
  maxUnsentBatches: number;
  upstreamTimeoutMs: number;
  natsConnected: () => boolean;
  logger: Logger;
  /** Pools, health checks, forwarded headers, drain; defaults when absent. */
  forwarding?: ForwardingConfig;
  /** Session bindings and user sets in Redis, and the override secret; without them no session is bound. */
  sessions?: { redis: Redis | undefined; config: SessionConfig; announce?: AnnounceBindingChange };
  /** Header and body-idle timeouts for clients of the data plane; defaults when absent. */
  clientLimits?: ClientLimits;
  /** Who may write on the admin port (session bindings); closed to everyone when absent. */
  adminAuth?: HttpAuth;
  /** When origins that left the config are closed; defaults: settle = connect timeout, grace = drain grace. */
  retirement?: Partial<RetirementSettings>;
}

/** The proxy's parts, wired but not listening, so tests can drive them directly. */
export interface ProxyApp {
  holder: TableHolder;
  metrics: MetricAggregator;
  publisher: BatchPublisher;
  upstreams: UpstreamRegistry;
  dataPlane: DataPlane;
  admin: FastifyInstance;
  /** Upstream health (active checks, outlier ejection); read-only view for routing and admin. */
  health: UpstreamHealth;
  forwarder: Forwarder;
  requestStats: RequestStats;
  drainer: Drainer;
  /** decide() with session bindings, user sets, overrides and pool health */
  decider: RequestDecider;
  /** undefined without Redis */
  bindings: BindingStore | undefined;
  /** Closes pools and drops health state of origins the applied table no longer names. */
  retirer: OriginRetirer;
  /** What the admin port's `/metrics` exposes; this app's own, not prom-client's global registry. */
  registry: Registry;
}

const CLOSED = httpAuthOf([], { tokenVariable: 'GRAYLANE_ADMIN_TOKEN', switchVariable: 'GRAYLANE_ADMIN_AUTH' });

export function buildApp(deps: ProxyAppDeps): ProxyApp {
  const tableLogger = deps.logger.child({ module: 'config' });
  // A table is refused whole when the proxy cannot derive its origins, before it is swapped in.
  const holder = new TableHolder({
    prepare: (table) => void originsNamedBy(table),
    onListenerError: (error, version) => tableLogger.error({ err: error, version }, 'a listener failed after the config swap'),
  });
  const metrics = new MetricAggregator();
  const forwarding = deps.forwarding ?? DEFAULT_FORWARDING;
  const upstreams = new UpstreamRegistry(forwarding.keepAlive);
  const health = new UpstreamHealth(forwarding.activeChecks, forwarding.outlier, () => originsInUse(holder));
  const requestStats = new RequestStats();
  const errorLog = new RequestErrorLog(deps.logger.child({ module: 'data-plane' }));
  const forwarder = createForwarder(forwarding, {
    connectTimeoutMs: forwarding.connectTimeoutMs,
    responseTimeoutMs: deps.upstreamTimeoutMs,
    hostMode: forwarding.hostMode,
    trusted: forwarding.trustedProxies,
    retryBudget: new RetryBudget(forwarding.retryRatio),
    recordOutcome: (origin, failed) => health.recordOutcome(origin, failed),
    stats: requestStats,
    errorLog,
  });
  const drainer = new Drainer();
  const publisher = new BatchPublisher(deps.proxyId, deps.publish, deps.maxUnsentBatches, deps.logger.child({ module: 'metrics' }));
  const sessionConfig = deps.sessions?.config;
  const redis = deps.sessions?.redis;
  const bindings =
    redis === undefined || sessionConfig === undefined
      ? undefined
      : new BindingStore(redis, { deadlineMs: sessionConfig.deadlineMs, cacheEntries: sessionConfig.cacheEntries, cacheTtlMs: sessionConfig.cacheTtlMs });
  const decider = new RequestDecider({
    bindings,
    overrideSecret: sessionConfig?.overrideSecret,
    health: poolHealthOf(health),
  });
  const dataPlane = buildDataPlane({
    decider,
    holder,
    upstreams,
    metrics,
    forwarder,
    health,
    loadBalancing: forwarding.loadBalancing,
    trustedProxies: forwarding.trustedProxies,
    clientLimits: deps.clientLimits,
    errorLog,
  });
  drainer.track(dataPlane.server);
  // Blue/green releases change addresses every time: an origin that left the config is closed once its requests end.
  const retirer = new OriginRetirer(
    holder,
    { upstreams, health, forwarder },
    { settleMs: deps.retirement?.settleMs ?? forwarding.connectTimeoutMs, graceMs: deps.retirement?.graceMs ?? forwarding.drainGraceMs },
    deps.logger.child({ module: 'retirement' }),
  );
  const registry = proxyRegistry({ holder, publisher: publisher.stats, health, upstreams, requestStats, drainer });
  registerSessionMetrics(registry, { decisions: decider.reasons, bindings });
  const admin = buildAdmin({ holder, natsConnected: deps.natsConnected, drainer, registry });
  registerExplain(admin, { holder, decider });
  if (bindings !== undefined) {
    registerBindingRoutes(admin, { holder, bindings, decisions: () => decider.reasons, auth: deps.adminAuth ?? CLOSED, announce: deps.sessions?.announce });
  }
  return { holder, metrics, publisher, upstreams, dataPlane, admin, health, forwarder, requestStats, drainer, decider, bindings, retirer, registry };
}

/**
 * The endpoint origins to health-check: those the current table names, region pools included so
 * a region's pool is checked before its first request. Origins that left the config are not
 * checked; the OriginRetirer drops their state.
 */
function originsInUse(holder: TableHolder): ReadonlySet<string> {
  return originsNamedBy(holder.current);
}
