import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildApp, type ProxyApp } from '../app.js';
import { localRequest, type LocalAnswer } from '../test-support/local-request.js';

let app: ProxyApp;
let backend: Server;

const get = (port: number, path: string): Promise<LocalAnswer> => localRequest(port, path);

beforeAll(async () => {
  backend = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  app = buildApp({ proxyId: 'admin-test', publish: async () => undefined, maxUnsentBatches: 10, upstreamTimeoutMs: 2000, natsConnected: () => true, logger: pino({ level: 'silent' }) });
  app.holder.apply(
    {
      schema: 'graylane.routing-table/v1',
      rollouts: {
        shop: {
          name: 'shop',
          state: 'progressing',
          updatedAt: '2026-11-26T00:00:00Z',
          updatedBy: 'test',
          spec: { match: { pathPrefix: '/' }, stable: { name: 'v1', upstreams: [upstream] }, canary: { name: 'v2', upstreams: [upstream] }, traffic: { weight: 0 } },
        },
      },
    },
    7,
  );
  await Promise.all([app.dataPlane.listen({ port: 0, host: '127.0.0.1' }), app.admin.listen({ port: 0, host: '127.0.0.1' })]);
});

afterAll(async () => {
  await Promise.all([app.dataPlane.close(), app.admin.close()]);
  app.upstreams.close();
  backend.close();
});

describe('admin /metrics', () => {
  it('reports requests, the latency histogram, upstream health and the config version', async () => {
    const dataPort = (app.dataPlane.server.address() as AddressInfo).port;
    const adminPort = (app.admin.server.address() as AddressInfo).port;
    for (let i = 0; i < 3; i++) expect((await get(dataPort, '/x')).status).toBe(200);
    const { status, body } = await get(adminPort, '/metrics');
    expect(status).toBe(200);
    expect(body).toContain('graylane_proxy_config_version 7');
    expect(body).toContain('graylane_proxy_requests_total{pool="v1",code="2xx"} 3');
    expect(body).toContain('graylane_proxy_request_duration_seconds_count{pool="v1"} 3');
    expect(body).toMatch(/graylane_proxy_request_duration_seconds_bucket\{pool="v1",le="\+Inf"\} 3/);
    expect(body).toMatch(/graylane_proxy_upstream_healthy\{upstream="http:\/\/127\.0\.0\.1:\d+"\} 1/);
    expect(body).toContain('graylane_proxy_metric_batches_dropped_total 0');
  });

  it('turns readyz false while draining', async () => {
    const adminPort = (app.admin.server.address() as AddressInfo).port;
    expect((await get(adminPort, '/readyz')).status).toBe(200);
    app.drainer.draining = true;
    const { status, body } = await get(adminPort, '/readyz');
    app.drainer.draining = false;
    expect(status).toBe(503);
    expect(JSON.parse(body)).toMatchObject({ ready: false, draining: true });
  });
});
