import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CompiledRollout } from '@graylane/routing';
import { forward, type ForwardOutcome } from '../forward/http-forwarder.js';
import { RoundRobin, type UpstreamRegistry } from '../forward/upstream-pool.js';
import { statusClassOf, type MetricAggregator } from '../metrics/metric-aggregator.js';
import { NodeRequestFacts } from '../routing/request-facts.js';
import type { TableHolder } from '../routing/table-holder.js';

export interface DataPlaneDeps {
  holder: TableHolder;
  upstreams: UpstreamRegistry;
  metrics: MetricAggregator;
  upstreamTimeoutMs: number;
}

/** Balancers per compiled rollout; a new table version compiles new rollouts, so old ones fall away. */
type Balancers = { stable: RoundRobin; canary: RoundRobin };

/**
 * The proxied-traffic server: every method and path is matched to a rollout, decided, and
 * streamed to the chosen pool. Bodies are never parsed.
 */
export function buildDataPlane(deps: DataPlaneDeps): FastifyInstance {
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const balancers = new WeakMap<CompiledRollout, Balancers>();

  const balancersOf = (rollout: CompiledRollout): Balancers => {
    let found = balancers.get(rollout);
    if (found === undefined) {
      found = {
        stable: new RoundRobin(rollout.stable.upstreams.map((url) => deps.upstreams.get(url))),
        canary: new RoundRobin(rollout.canary.upstreams.map((url) => deps.upstreams.get(url))),
      };
      balancers.set(rollout, found);
    }
    return found;
  };

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    if (!deps.holder.hasConfig) {
      reject(res, 503, 'graylane has not received any routing config yet');
      return;
    }
    const table = deps.holder.current;
    const facts = new NodeRequestFacts(req);
    const rollout = table.match(facts.host, facts.path);
    if (rollout === undefined) {
      reject(res, 404, `no rollout matches host "${facts.host}" and path "${facts.path}"`);
      return;
    }
    const decision = rollout.decide(facts);
    const pool = rollout[decision.side];
    forward(req, res, {
      upstream: balancersOf(rollout)[decision.side].pick(),
      pool: pool.name,
      timeoutMs: deps.upstreamTimeoutMs,
      responseHeaders: rollout.responseHeaders
        ? {
            'x-graylane-pool': pool.name,
            'x-graylane-reason': decision.reason,
            'x-graylane-config-version': String(table.version),
          }
        : undefined,
      onDone: (outcome: ForwardOutcome) => {
        if ('failure' in outcome && outcome.failure === 'client-aborted') return;
        const status = 'status' in outcome ? outcome.status : undefined;
        const latencyUs = (performance.now() - started) * 1000;
        deps.metrics.record(rollout.name, decision.side, pool.name, statusClassOf(status), latencyUs);
      },
    });
  };

  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '*',
    handler: (request, reply) => {
      reply.hijack();
      route(request.raw, reply.raw);
    },
  });
  return app;
}

function reject(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
