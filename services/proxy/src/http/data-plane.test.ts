// The data plane against real HTTP backends on loopback (no NATS: the table is applied directly).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { localRequest, type LocalAnswer } from '../test-support/local-request.js';

let app: ProxyApp;
let proxyPort: number;
let backend: Server;
let backendPort: number;
let lastHeaders: IncomingHttpHeaders = {};

function table(upstream: string, canaryUpstream = upstream): RoutingTableV1 {
  const record = (name: string, pathPrefix: string, stable: string, canary: string) => ({
    name,
    state: 'progressing' as const,
    updatedAt: '2026-11-26T00:00:00Z',
    updatedBy: 'test',
    spec: {
      match: { pathPrefix },
      stable: { name: 'v1', upstreams: [stable] },
      canary: { name: 'v2', upstreams: [canary] },
      responseHeaders: true,
      traffic: { weight: 50 },
    },
  });
  return {
    schema: 'graylane.routing-table/v1',
    rollouts: {
      shop: record('shop', '/shop', upstream, canaryUpstream),
      dead: record('dead', '/dead', 'http://127.0.0.1:1', 'http://127.0.0.1:1'),
    },
  };
}

const send = (path: string, headers: Record<string, string> = {}): Promise<LocalAnswer> => localRequest(proxyPort, path, { headers });

beforeAll(async () => {
  backend = createServer((req, res) => {
    lastHeaders = req.headers;
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as AddressInfo).port;
  app = buildTestApp({
    proxyId: 'test',
  });
  await app.dataPlane.listen({ port: 0, host: '127.0.0.1' });
  proxyPort = (app.dataPlane.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app.dataPlane.close();
  app.upstreams.close();
  backend.close();
});

describe('data plane', () => {
  it('answers 503 until a config arrives', async () => {
    const seen = await send('/shop');
    expect(seen.status).toBe(503);
    expect(seen.body).toMatch(/not received any routing config/);
  });

  it('forwards with X-Forwarded-* and Via, without hop-by-hop headers, and says where it went', async () => {
    app.holder.apply(table(`http://127.0.0.1:${backendPort}`), 3);
    const seen = await send('/shop/cart?x=1', {
      'x-user-id': 'u1',
      connection: 'x-drop-me',
      'x-drop-me': 'secret',
      te: 'trailers',
      host: 'shop.example.com',
    });
    expect(seen.status).toBe(200);
    expect(seen.body).toBe('ok');
    expect(seen.headers['x-graylane-config-version']).toBe('3');
    expect(['v1', 'v2']).toContain(seen.headers['x-graylane-pool']);
    expect(seen.headers['x-graylane-reason']).toBe('weight');
    expect(seen.headers['keep-alive']).not.toBe('timeout=5');
    expect(lastHeaders['x-drop-me']).toBeUndefined();
    expect(lastHeaders.te).toBeUndefined();
    expect(lastHeaders['x-forwarded-for']).toBe('127.0.0.1');
    expect(lastHeaders['x-forwarded-host']).toBe('shop.example.com');
    expect(lastHeaders.host).toBe('shop.example.com');
    expect(lastHeaders.via).toBe('1.1 graylane');
    expect(lastHeaders['x-user-id']).toBe('u1');
  });

  it('never goes back to an older version', () => {
    expect(app.holder.apply(table('http://127.0.0.1:1'), 2)).toBe('stale');
    expect(app.holder.current.version).toBe(3);
  });

  it('lets a long upload take as long as it needs, but cuts headers that trickle in after the header timeout', () => {
    expect(app.dataPlane.server.requestTimeout).toBe(0);
    expect(app.dataPlane.server.headersTimeout).toBe(20_000);
  });

  it('answers 404 naming host and path when no rollout matches', async () => {
    const seen = await send('/elsewhere', { host: 'other.example.com' });
    expect(seen.status).toBe(404);
    expect((JSON.parse(seen.body) as { error: { code: string; message: string } }).error).toEqual({
      code: 'GRAYLANE_NOT_FOUND',
      message: 'no rollout matches host "other.example.com" and path "/elsewhere"',
      retryable: false,
    });
  });

  it('answers 502 naming the pool when the upstream is gone, and counts it as an error', async () => {
    const seen = await send('/dead', { 'x-user-id': 'u1' });
    expect(seen.status).toBe(502);
    const body = JSON.parse(seen.body) as { error: { code: string }; pool: string; upstream: string };
    expect(body.error.code).toBe('GRAYLANE_UNAVAILABLE');
    expect(body.pool).toMatch(/^v[12]$/);
    expect(body.upstream).toBe('http://127.0.0.1:1');
    const series = app.metrics.drain().filter((s) => s.rollout === 'dead');
    expect(series.map((s) => [s.statusClass, s.count])).toEqual([['err', 1]]);
  });
});
