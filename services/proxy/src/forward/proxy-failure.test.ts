// A failure the proxy makes itself (here: a response header value Node refuses to write) must
// answer the client with the proxy's own 500 and never count against the upstream's health.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Balancer } from './balancer.js';
import { createForwarder } from './create-forwarder.js';
import { forwardingConfigFrom } from './forwarding-config.js';
import { ENGINES, type ForwardOutcome } from './forwarder.js';
import { RequestStats } from './request-stats.js';
import { RetryBudget } from './retry-budget.js';
import { UpstreamRegistry } from './upstream-pool.js';

let backend: Server;
let origin: string;

beforeAll(async () => {
  backend = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});

afterAll(() => {
  backend.closeAllConnections();
  backend.close();
});

describe.each(ENGINES)('a failure of the proxy itself (%s engine)', (engine) => {
  it('answers 500 GRAYLANE_INTERNAL and is never recorded against the upstream', async () => {
    const config = forwardingConfigFrom({ GRAYLANE_FORWARDING_ENGINE: engine });
    const outcomes: { origin: string; failed: boolean }[] = [];
    const upstreams = new UpstreamRegistry(config.keepAlive);
    const forwarder = createForwarder(config, {
      connectTimeoutMs: 1000,
      responseTimeoutMs: 2000,
      hostMode: config.hostMode,
      trusted: config.trustedProxies,
      retryBudget: new RetryBudget(0.2),
      recordOutcome: (at, failed) => outcomes.push({ origin: at, failed }),
      stats: new RequestStats(),
    });
    const balancer = new Balancer([upstreams.get(origin)], 'round-robin', () => true);
    const done: ForwardOutcome[] = [];
    const proxy = createServer((req, res) =>
      forwarder.forward(req, res, {
        balancer,
        pool: 'v2',
        responseHeaders: { 'x-graylane-pool': 'v2-\u{1F680}' },
        onDone: (outcome) => done.push(outcome),
      }),
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        request(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'GRAYLANE_INTERNAL' } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done).toEqual([{ failure: 'proxy' }]);
      expect(outcomes.filter((outcome) => outcome.failed)).toEqual([]);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
      await forwarder.close();
      upstreams.close();
    }
  });
});
