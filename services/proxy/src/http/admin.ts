import Fastify, { type FastifyInstance } from 'fastify';
import { LATENCY_BUCKETS_S, type RequestStats } from '../forward/request-stats.js';
import type { UpstreamRegistry } from '../forward/upstream-pool.js';
import type { HealthView } from '../health/upstream-health.js';
import type { Drainer } from '../lifecycle/drain.js';
import type { PublisherStats } from '../metrics/batch-publisher.js';
import type { TableHolder } from '../routing/table-holder.js';

export interface AdminDeps {
  holder: TableHolder;
  publisher: PublisherStats;
  natsConnected: () => boolean;
  health: HealthView;
  upstreams: UpstreamRegistry;
  requestStats: RequestStats;
  drainer: Drainer;
  /** more metric lines from other parts of the proxy (routing decisions, session store), appended as given */
  moreMetrics?: () => readonly string[];
}

/** A Prometheus label value, escaped as the text format requires. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The Prometheus text exposition of the proxy's state. */
export function renderMetrics(deps: AdminDeps): string {
  const { published, dropped, failures, queued } = deps.publisher;
  const lines = [
    '# HELP graylane_proxy_config_version Config version (KV revision) this proxy serves with.',
    '# TYPE graylane_proxy_config_version gauge',
    `graylane_proxy_config_version ${deps.holder.current.version}`,
    '# TYPE graylane_proxy_config_rejected_total counter',
    `graylane_proxy_config_rejected_total ${deps.holder.rejected}`,
    '# TYPE graylane_proxy_metric_batches_published_total counter',
    `graylane_proxy_metric_batches_published_total ${published}`,
    '# HELP graylane_proxy_metric_batches_dropped_total Metric batches dropped because NATS could not take them in time.',
    '# TYPE graylane_proxy_metric_batches_dropped_total counter',
    `graylane_proxy_metric_batches_dropped_total ${dropped}`,
    '# TYPE graylane_proxy_metric_publish_failures_total counter',
    `graylane_proxy_metric_publish_failures_total ${failures}`,
    '# TYPE graylane_proxy_metric_batches_queued gauge',
    `graylane_proxy_metric_batches_queued ${queued}`,
    '# HELP graylane_proxy_requests_total Forwarded requests by pool and status class or failure.',
    '# TYPE graylane_proxy_requests_total counter',
  ];
  for (const [pool, stats] of deps.requestStats.pools) {
    for (const [code, count] of stats.byCode) lines.push(`graylane_proxy_requests_total{pool="${label(pool)}",code="${code}"} ${count}`);
  }
  lines.push(
    '# HELP graylane_proxy_request_duration_seconds Time from request to the last response byte, by pool.',
    '# TYPE graylane_proxy_request_duration_seconds histogram',
  );
  for (const [pool, stats] of deps.requestStats.pools) {
    const name = label(pool);
    let cumulative = 0;
    LATENCY_BUCKETS_S.forEach((le, slot) => {
      cumulative += stats.buckets[slot] ?? 0;
      lines.push(`graylane_proxy_request_duration_seconds_bucket{pool="${name}",le="${le}"} ${cumulative}`);
    });
    lines.push(
      `graylane_proxy_request_duration_seconds_bucket{pool="${name}",le="+Inf"} ${stats.count}`,
      `graylane_proxy_request_duration_seconds_sum{pool="${name}"} ${stats.sumSeconds}`,
      `graylane_proxy_request_duration_seconds_count{pool="${name}"} ${stats.count}`,
    );
  }
  lines.push(
    '# HELP graylane_proxy_upstream_healthy 1 while an endpoint passes active checks and is not ejected.',
    '# TYPE graylane_proxy_upstream_healthy gauge',
  );
  for (const upstream of deps.upstreams.all()) {
    lines.push(`graylane_proxy_upstream_healthy{upstream="${label(upstream.origin)}"} ${deps.health.isHealthy(upstream.origin) ? 1 : 0}`);
  }
  lines.push('# TYPE graylane_proxy_upstream_outstanding_requests gauge');
  for (const upstream of deps.upstreams.all()) {
    lines.push(`graylane_proxy_upstream_outstanding_requests{upstream="${label(upstream.origin)}"} ${upstream.outstanding}`);
  }
  lines.push('# TYPE graylane_proxy_in_flight_requests gauge', `graylane_proxy_in_flight_requests ${deps.drainer.active}`);
  if (deps.moreMetrics !== undefined) lines.push(...deps.moreMetrics());
  lines.push('');
  return lines.join('\n');
}

/** Health, readiness and Prometheus metrics, on their own port so no proxied path is taken. */
export function buildAdmin(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    // A draining proxy is alive but must get no new traffic.
    const ready = deps.holder.hasConfig && !deps.drainer.draining;
    return reply
      .code(ready ? 200 : 503)
      .send({ ready, configVersion: deps.holder.current.version, nats: deps.natsConnected(), draining: deps.drainer.draining });
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4').send(renderMetrics(deps)));
  return app;
}
