import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Drainer } from '../lifecycle/drain.js';
import type { TableHolder } from '../routing/table-holder.js';

export interface AdminDeps {
  holder: TableHolder;
  natsConnected: () => boolean;
  drainer: Drainer;
  /** The proxy's Prometheus registry (`proxyRegistry` and what other parts add to it). */
  registry: Registry;
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
  app.get('/metrics', async (_request, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
  return app;
}
