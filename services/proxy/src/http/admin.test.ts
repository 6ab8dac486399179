import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { differencesFromDoc, parsePrometheusText } from '@graylane/testkit';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { sessionConfigFrom } from '../session/session-config.js';
import { localRequest, type LocalAnswer } from '../test-support/local-request.js';

let app: ProxyApp;
let backend: Server;

const get = (port: number, path: string): Promise<LocalAnswer> => localRequest(port, path);

beforeAll(async () => {
  backend = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  app = buildTestApp({ proxyId: 'admin-test' });
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

  it('parses strictly as Prometheus text and exposes exactly the proxy rows of docs/metrics.md', async () => {
    const adminPort = (app.admin.server.address() as AddressInfo).port;
    const { body, headers } = await get(adminPort, '/metrics');
    expect(headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(body);
    expect(families.get('graylane_proxy_request_duration_seconds')?.type).toBe('histogram');
    expect(differencesFromDoc(families, ['proxy'])).toEqual([]);
  });

  it('adds the session store\'s families with Redis, as docs/metrics.md lists them', async () => {
    // The registry only reads the store's counters, so a Redis that is never called will do.
    const withSessions = buildTestApp({
      proxyId: 'admin-test-sessions',
      sessions: { redis: {} as Redis, config: sessionConfigFrom({}) },
    });
    const families = parsePrometheusText(await withSessions.registry.metrics());
    expect(differencesFromDoc(families, ['proxy', 'proxy (with Redis)'])).toEqual([]);
  });

  it('keeps each app\'s metrics in its own registry', async () => {
    const other = buildTestApp({ proxyId: 'other' });
    expect(other.registry).not.toBe(app.registry);
    expect(await other.registry.metrics()).not.toContain('graylane_proxy_requests_total{');
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
