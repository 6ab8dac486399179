import type { FastifyInstance } from 'fastify';
import type { Logger } from '@graylane/runtime';
import { UpstreamRegistry } from './forward/upstream-pool.js';
import { buildAdmin } from './http/admin.js';
import { buildDataPlane } from './http/data-plane.js';
import { BatchPublisher, type PublishBatch } from './metrics/batch-publisher.js';
import { MetricAggregator } from './metrics/metric-aggregator.js';
import { TableHolder } from './routing/table-holder.js';

export interface ProxyAppDeps {
  proxyId: string;
  publish: PublishBatch;
  maxUnsentBatches: number;
  upstreamTimeoutMs: number;
  natsConnected: () => boolean;
  logger: Logger;
}

/** The proxy's parts, wired but not listening, so tests can drive them directly. */
export interface ProxyApp {
  holder: TableHolder;
  metrics: MetricAggregator;
  publisher: BatchPublisher;
  upstreams: UpstreamRegistry;
  dataPlane: FastifyInstance;
  admin: FastifyInstance;
}

export function buildApp(deps: ProxyAppDeps): ProxyApp {
  const holder = new TableHolder();
  const metrics = new MetricAggregator();
  const upstreams = new UpstreamRegistry();
  const publisher = new BatchPublisher(deps.proxyId, deps.publish, deps.maxUnsentBatches, deps.logger.child({ module: 'metrics' }));
  const dataPlane = buildDataPlane({ holder, upstreams, metrics, upstreamTimeoutMs: deps.upstreamTimeoutMs });
  const admin = buildAdmin({ holder, publisher: publisher.stats, natsConnected: deps.natsConnected });
  return { holder, metrics, publisher, upstreams, dataPlane, admin };
}
