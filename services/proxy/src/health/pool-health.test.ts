// Pools against real loopback endpoints: retries, passive ejection and active checks.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { forwardingConfigFrom } from '../forward/forwarding-config.js';
import { ActiveChecker } from './active-checker.js';
import { localRequest, type LocalAnswer } from '../test-support/local-request.js';

let app: ProxyApp;
let proxyPort: number;
const servers: Server[] = [];
let healthy: string;
let broken: string;
let dead: string;
const hits = new Map<string, number>();

async function serve(name: string, status: number): Promise<string> {
  const server = createServer((req, res) => {
    hits.set(name, (hits.get(name) ?? 0) + 1);
    res.writeHead(req.url === '/health' ? (status === 200 ? 200 : 503) : status);
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function tableFor(pathPrefix: string, upstreams: string[]): RoutingTableV1['rollouts'][string] {
  return {
    name: pathPrefix.slice(1),
    state: 'progressing',
    updatedAt: '2026-11-26T00:00:00Z',
    updatedBy: 'test',
    spec: { match: { pathPrefix }, stable: { name: 'v1', upstreams }, canary: { name: 'v2', upstreams }, traffic: { weight: 0 } },
  };
}

const get = (path: string, method = 'GET'): Promise<LocalAnswer> => localRequest(proxyPort, path, { method });

beforeAll(async () => {
  healthy = await serve('healthy', 200);
  broken = await serve('broken', 500);
  dead = 'http://127.0.0.1:1';
  app = buildTestApp({
    proxyId: 'pool-test',
    forwarding: forwardingConfigFrom({ GRAYLANE_LB_POLICY: 'round-robin', GRAYLANE_OUTLIER_CONSECUTIVE_FAILURES: '3' }),
  });
  app.holder.apply(
    {
      schema: 'graylane.routing-table/v1',
      rollouts: {
        retry: tableFor('/retry', [dead, healthy]),
        eject: tableFor('/eject', [broken, healthy]),
        alldead: tableFor('/alldead', [dead]),
      },
    },
    1,
  );
  await app.dataPlane.listen({ port: 0, host: '127.0.0.1' });
  proxyPort = (app.dataPlane.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app.dataPlane.close();
  app.upstreams.close();
  for (const server of servers) server.close();
});

describe('upstream pools', () => {
  it('retries an idempotent request on another endpoint when the first refuses the connection', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => get('/retry/x')));
    expect(answers.map((a) => a.status)).toEqual(new Array(12).fill(200));
    expect(app.health.isHealthy(dead)).toBe(false);
  });

  it('does not retry a POST: the client sees the 502 naming the pool', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 4; i++) statuses.add((await get('/retry/x', 'POST')).status);
    // The dead endpoint is ejected by now, so POSTs go to the healthy one; before, one would have failed.
    expect(statuses).toEqual(new Set([200]));
    const answer = await get('/alldead/x', 'POST');
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body)).toMatchObject({ pool: 'v1', upstream: dead });
  });

  it('ejects an endpoint after consecutive 5xx and sends the rest of the traffic elsewhere', async () => {
    const first = await Promise.all(Array.from({ length: 6 }, () => get('/eject/x')));
    expect(first.filter((a) => a.status === 500).length).toBe(3);
    expect(app.health.isHealthy(broken)).toBe(false);
    expect(app.health.healthyCount([broken, healthy])).toBe(1);
    const after = await Promise.all(Array.from({ length: 10 }, () => get('/eject/x')));
    expect(after.every((a) => a.status === 200 && a.body === 'healthy')).toBe(true);
  });

  it('keeps a pool whose every endpoint is ejected serving (a guess beats a certain 502)', async () => {
    for (let i = 0; i < 4; i++) await get('/alldead/x');
    expect(app.health.isHealthy(dead)).toBe(false);
    expect((await get('/alldead/x')).status).toBe(502);
  });
});

describe('ActiveChecker', () => {
  it('marks an endpoint down after failed probes and up again after passes', async () => {
    let status = 503;
    const server = createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const checker = new ActiveChecker(
      { path: '/health', intervalMs: 1000, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 2 },
      () => new Set([origin, dead]),
    );
    await checker.checkAll();
    expect(checker.isDown(origin)).toBe(false);
    await checker.checkAll();
    expect([checker.isDown(origin), checker.isDown(dead)]).toEqual([true, true]);
    status = 200;
    await checker.checkAll();
    expect(checker.isDown(origin)).toBe(true);
    await checker.checkAll();
    expect(checker.isDown(origin)).toBe(false);
  });
});
