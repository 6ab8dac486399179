// A table the proxy cannot serve, written straight to the KV bucket (past the config service's
// checks): the real proxy process refuses it whole, keeps serving the previous version, counts and
// logs the refusal, and stays up, with an activateAt timer pending and active health checks on.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTING_TABLE_KEY, type RoutingTableV1 } from '@graylane/contracts';
import { connectNats, createLogger, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { eventually, freePort, rolloutRecord, routingTableOf, startNats, startService, untilOk, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { get, listenOnLoopback } from './support/http.js';

let nats: RunningServer;
let nc: NatsConnection;
let backend: Server;
let backendUrl: string;
let proxy: ServiceProcess;
let url: string;
let adminUrl: string;

function table(canary: { name: string; upstream: string }, activateAt?: Date): RoutingTableV1 {
  const shop = rolloutRecord({
    name: 'shop',
    pathPrefix: '/',
    weight: 50,
    stableUpstreams: [backendUrl],
    canaryName: canary.name,
    canaryUpstreams: [canary.upstream],
    stickyKey: ['header:x-user-id'],
    responseHeaders: true,
    updatedBy: 'proxy-bad-table',
  });
  return { ...routingTableOf(shop), ...(activateAt === undefined ? {} : { activateAt: activateAt.toISOString() }) };
}

async function put(value: RoutingTableV1): Promise<number> {
  const kv = await openConfigBucket(nc);
  return kv.put(ROUTING_TABLE_KEY, JSON.stringify(value));
}

async function adminState(): Promise<{ version: number; rejected: number }> {
  const ready = JSON.parse((await get(`${adminUrl}/readyz`)).body) as { configVersion: number };
  const metrics = (await get(`${adminUrl}/metrics`)).body;
  const rejected = Number(/^graylane_proxy_config_rejected_total (\d+)$/m.exec(metrics)?.[1] ?? 'NaN');
  return { version: ready.configVersion, rejected };
}

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, createLogger('proxy-bad-table', 'warn'), { name: 'proxy-bad-table', waitForServer: false });
  backend = createServer((_req, res) => res.end('ok'));
  backendUrl = `http://127.0.0.1:${await listenOnLoopback(backend)}`;
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  proxy = startService('proxy', 'services/proxy/dist/main.js', {
    GRAYLANE_NATS_URL: nats.url,
    GRAYLANE_REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    // Active checks run on a timer over the origins of the table: the path that used to crash.
    GRAYLANE_HEALTH_CHECK_PATH: '/',
    GRAYLANE_HEALTH_CHECK_INTERVAL_MS: '100',
  });
  url = `http://127.0.0.1:${port}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  await put(table({ name: 'v2', upstream: backendUrl }));
  await untilOk('proxy ready', `${adminUrl}/readyz`, undefined, [proxy]);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await nc?.close();
  backend?.close();
  await nats?.stop();
});

describe('a table the proxy cannot serve, written straight to the bucket', () => {
  it('is refused whole: the previous version keeps serving, the refusal is counted and logged, the process stays up', async () => {
    const good = await adminState();
    expect(good.rejected).toBe(0);
    const soon = new Date(Date.now() + 500);
    const bad = [
      table({ name: 'v2', upstream: 'http://127.0.0.1:99999' }, soon),
      table({ name: 'v2', upstream: 'http://a%zz' }),
      table({ name: 'v2', upstream: 'http://[::1' }, soon),
      table({ name: 'v2-🚀', upstream: backendUrl }),
    ];
    for (const value of bad) await put(value);
    await eventually('every bad version refused', 10_000, async () => ((await adminState()).rejected === bad.length ? true : undefined));
    // Past the activateAt instant and several health-check rounds.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(proxy.child.exitCode).toBeNull();
    const after = await adminState();
    expect(after).toEqual({ version: good.version, rejected: bad.length });
    for (let i = 0; i < 20; i++) {
      const seen = await get(`${url}/`, { 'x-user-id': `user-${i}` });
      expect(seen.status).toBe(200);
      expect(['v1', 'v2']).toContain(seen.headers['x-graylane-pool']);
      expect(seen.headers['x-graylane-config-version']).toBe(String(good.version));
    }
    expect(proxy.output()).toMatch(/rejected config version; still serving the previous one/);
    expect(proxy.output()).toMatch(/invalid upstream \\"http:\/\/127\.0\.0\.1:99999\\"/);

    // A good version after them still applies.
    const next = await put(table({ name: 'v3', upstream: backendUrl }));
    await eventually('the next good version applied', 10_000, async () => ((await adminState()).version === next ? true : undefined));
  }, 60_000);
});
