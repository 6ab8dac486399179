import Fastify, { type FastifyInstance } from 'fastify';
import type { PublisherStats } from '../metrics/batch-publisher.js';
import type { TableHolder } from '../routing/table-holder.js';

export interface AdminDeps {
  holder: TableHolder;
  publisher: PublisherStats;
  natsConnected: () => boolean;
}

/** Health, readiness and Prometheus metrics, on their own port so no proxied path is taken. */
export function buildAdmin(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    const ready = deps.holder.hasConfig;
    return reply.code(ready ? 200 : 503).send({ ready, configVersion: deps.holder.current.version, nats: deps.natsConnected() });
  });
  app.get('/metrics', async (_request, reply) => {
    const { published, dropped, failures, queued } = deps.publisher;
    const text = [
      '# TYPE graylane_proxy_config_version gauge',
      `graylane_proxy_config_version ${deps.holder.current.version}`,
      '# TYPE graylane_proxy_config_rejected_total counter',
      `graylane_proxy_config_rejected_total ${deps.holder.rejected}`,
      '# TYPE graylane_proxy_metric_batches_published_total counter',
      `graylane_proxy_metric_batches_published_total ${published}`,
      '# TYPE graylane_proxy_metric_batches_dropped_total counter',
      `graylane_proxy_metric_batches_dropped_total ${dropped}`,
      '# TYPE graylane_proxy_metric_publish_failures_total counter',
      `graylane_proxy_metric_publish_failures_total ${failures}`,
      '# TYPE graylane_proxy_metric_batches_queued gauge',
      `graylane_proxy_metric_batches_queued ${queued}`,
      '',
    ].join('\n');
    return reply.type('text/plain; version=0.0.4').send(text);
  });
  return app;
}
