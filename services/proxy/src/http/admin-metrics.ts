import { Counter, Gauge, Registry } from 'prom-client';
import { LATENCY_BUCKETS_S, type RequestStats } from '../forward/request-stats.js';
import type { UpstreamRegistry } from '../forward/upstream-pool.js';
import type { HealthView } from '../health/upstream-health.js';
import type { Drainer } from '../lifecycle/drain.js';
import type { PublisherStats } from '../metrics/batch-publisher.js';
import { PrecountedHistogram } from '../metrics/precounted-histogram.js';
import type { TableHolder } from '../routing/table-holder.js';

/** What the proxy's `/metrics` reads, at scrape time only. */
export interface ProxyMetricsSources {
  holder: TableHolder;
  publisher: PublisherStats;
  health: HealthView;
  upstreams: UpstreamRegistry;
  requestStats: RequestStats;
  drainer: Drainer;
}

/** A metric without labels whose value is read at scrape time. */
function scalar(registry: Registry, type: 'counter' | 'gauge', name: string, help: string, read: () => number): void {
  if (type === 'gauge') {
    new Gauge({ name, help, registers: [registry], collect: function collect() {
      this.set(read());
    } });
    return;
  }
  new Counter({ name, help, registers: [registry], collect: function collect() {
    this.reset();
    this.inc(read());
  } });
}

/**
 * The proxy's own registry (one per app, never prom-client's global one, so tests that build
 * several proxies in one process keep them apart). Every value is read from the plain counters
 * the data plane keeps when Prometheus scrapes (`collect`), so a request costs no prom-client
 * call. Sets of series (pools, upstreams) are rebuilt per scrape, so a retired upstream leaves.
 */
export function proxyRegistry(sources: ProxyMetricsSources): Registry {
  const registry = new Registry();
  const { holder, publisher, health, upstreams, requestStats, drainer } = sources;
  scalar(registry, 'gauge', 'graylane_proxy_config_version', 'Config version (KV revision) this proxy serves with.', () => holder.current.version);
  scalar(registry, 'counter', 'graylane_proxy_config_rejected_total', 'Config versions this proxy could not compile and refused whole.', () => holder.rejected);
  scalar(registry, 'counter', 'graylane_proxy_metric_batches_published_total', 'Metric batches JetStream stored.', () => publisher.published);
  scalar(
    registry,
    'counter',
    'graylane_proxy_metric_batches_dropped_total',
    'Metric batches dropped because NATS could not take them in time.',
    () => publisher.dropped,
  );
  scalar(registry, 'counter', 'graylane_proxy_metric_publish_failures_total', 'Metric batch publishes that failed (retried while queued).', () => publisher.failures);
  scalar(registry, 'gauge', 'graylane_proxy_metric_batches_queued', 'Metric batches waiting for NATS (bounded).', () => publisher.queued);
  scalar(registry, 'gauge', 'graylane_proxy_in_flight_requests', 'Requests being forwarded now.', () => drainer.active);

  new Counter({
    name: 'graylane_proxy_requests_total',
    help: 'Forwarded requests by pool and status class or failure.',
    labelNames: ['pool', 'code'],
    registers: [registry],
    collect: function collect() {
      this.reset();
      for (const [pool, stats] of requestStats.pools) for (const [code, count] of stats.byCode) this.inc({ pool, code }, count);
    },
  });
  new PrecountedHistogram({
    name: 'graylane_proxy_request_duration_seconds',
    help: 'Time from request to the last response byte, by pool.',
    labelNames: ['pool'],
    buckets: LATENCY_BUCKETS_S,
    registry,
    read: function* read() {
      for (const [pool, stats] of requestStats.pools) yield { labels: { pool }, buckets: stats.buckets, sum: stats.sumSeconds, count: stats.count };
    },
  });
  new Gauge({
    name: 'graylane_proxy_upstream_healthy',
    help: '1 while an endpoint passes active checks and is not ejected.',
    labelNames: ['upstream'],
    registers: [registry],
    collect: function collect() {
      this.reset();
      for (const upstream of upstreams.all()) this.set({ upstream: upstream.origin }, health.isHealthy(upstream.origin) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'graylane_proxy_upstream_outstanding_requests',
    help: 'Requests sent to an endpoint and not answered yet.',
    labelNames: ['upstream'],
    registers: [registry],
    collect: function collect() {
      this.reset();
      for (const upstream of upstreams.all()) this.set({ upstream: upstream.origin }, upstream.outstanding);
    },
  });
  return registry;
}
