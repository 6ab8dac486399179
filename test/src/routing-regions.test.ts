// Region-aware routing through the real proxy: the region comes from a trusted header or the
// client's CIDR range (behind a trusted load balancer, from X-Forwarded-For), each region has its
// own stable and canary pools, and when a region's pool goes down its requests go to the next
// healthy region of the fallback list, never to the dead pool.
import type { Server } from 'node:http';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoBackend } from '@graylane/demo';
import { eventually, freePort, proxyAtVersion, serviceLogs, startNats, startService, untilOk, writeRolloutFile, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { get, listenOnLoopback, runConcurrently } from './support/http.js';
import { runGraylane } from './support/processes.js';

const USERS = 60;

let nats: RunningServer;
const services: ServiceProcess[] = [];
const backends = new Map<string, Server>();
let env: Record<string, string>;
let proxyUrl: string;
let adminUrl: string;
let agent: Agent;

async function backend(version: string): Promise<string> {
  const server = createDemoBackend(version, { latencyMs: 0, tailRate: 0 }).server;
  backends.set(version, server);
  return `http://127.0.0.1:${await listenOnLoopback(server)}`;
}

function logs(): string {
  return serviceLogs(services);
}

interface Served {
  status: number;
  backend: string;
  reason: string;
}

async function serve(user: string, headers: Record<string, string> = {}): Promise<Served> {
  const seen = await get(`${proxyUrl}/app/page`, { 'x-user-id': user, ...headers }, agent);
  const backendName = seen.status === 200 ? (JSON.parse(seen.body) as { version: string }).version : '';
  return { status: seen.status, backend: backendName, reason: String(seen.headers['x-graylane-reason']) };
}

async function serveAll(headers: Record<string, string> = {}): Promise<Served[]> {
  const served: Served[] = new Array<Served>(USERS);
  await runConcurrently(USERS, 8, async (i) => {
    served[i] = await serve(`user-${i}`, headers);
  });
  return served;
}

beforeAll(async () => {
  nats = await startNats();
  const [v1, v2, bj1, bj2, sh1, sh2] = await Promise.all(['v1', 'v2', 'bj-v1', 'bj-v2', 'sh-v1', 'sh-v2'].map(backend));
  const [proxyPort, adminPort, configPort] = await Promise.all([freePort(), freePort(), freePort()]);
  env = { GRAYLANE_NATS_URL: nats.url };
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  services.push(
    startService('config', 'services/config/dist/main.js', { ...env, PORT: String(configPort) }),
    startService('proxy', 'services/proxy/dist/main.js', {
      ...env,
      PORT: String(proxyPort),
      ADMIN_PORT: String(adminPort),
      GRAYLANE_HEALTH_CHECK_PATH: '/healthz',
      GRAYLANE_HEALTH_CHECK_INTERVAL_MS: '200',
      GRAYLANE_HEALTH_CHECK_UNHEALTHY_THRESHOLD: '1',
      GRAYLANE_HEALTH_CHECK_HEALTHY_THRESHOLD: '1',
      // The test's requests come from loopback: as if through a load balancer on this host.
      GRAYLANE_TRUSTED_PROXIES: '127.0.0.1/32',
    }),
  );
  await untilOk('config ready', `http://127.0.0.1:${configPort}/readyz`, undefined, services);
  await untilOk('proxy listening', `${adminUrl}/healthz`, undefined, services);
  const specFile = writeRolloutFile('app', {
    match: { pathPrefix: '/app' },
    stable: { name: 'v1', upstreams: [v1] },
    canary: { name: 'v2', upstreams: [v2] },
    responseHeaders: true,
    traffic: { weight: 50, stickyKey: ['header:x-user-id'] },
    regions: {
      from: { header: 'x-region', cidrs: { beijing: ['127.0.0.0/8'], shanghai: ['198.51.100.0/24'] } },
      pools: { beijing: { stable: [bj1], canary: [bj2] }, shanghai: { stable: [sh1], canary: [sh2] } },
      fallback: ['shanghai'],
    },
  });
  const run = await runGraylane(['apply', '-f', specFile, '--json'], env);
  expect(run.code, `${run.stderr}\n${logs()}`).toBe(0);
  const version = (JSON.parse(run.stdout) as { version: number }).version;
  await proxyAtVersion(adminUrl, version);
  agent = new Agent({ keepAlive: true, maxSockets: 8 });
}, 90_000);

afterAll(async () => {
  agent?.destroy();
  await Promise.all(services.map((s) => s.stop()));
  for (const server of backends.values()) {
    server.close();
    server.closeAllConnections();
  }
  await nats?.stop();
});

describe('regions through the real proxy', () => {
  let before: Served[] = [];

  it('serves each region from its own pools: by CIDR of the client address, or by the trusted header', async () => {
    before = await serveAll();
    expect(new Set(before.map((s) => s.backend))).toEqual(new Set(['bj-v1', 'bj-v2']));
    const shanghai = await serveAll({ 'x-region': 'shanghai' });
    shanghai.forEach((s, i) => expect(s.backend, `user-${i}`).toBe(before[i]!.backend.replace('bj-', 'sh-')));
  });

  it('finds the region of a client behind a trusted load balancer from X-Forwarded-For, ignoring entries it forged', async () => {
    const behind = await serveAll({ 'x-forwarded-for': '198.51.100.7' });
    behind.forEach((s, i) => expect(s.backend, `user-${i}`).toBe(before[i]!.backend.replace('bj-', 'sh-')));
    // The client wrote a Shanghai address itself; the load balancer appended the one it saw (no region).
    const forged = await serveAll({ 'x-forwarded-for': '198.51.100.7, 203.0.113.1' });
    forged.forEach((s, i) => expect(s.backend, `user-${i}`).toBe(before[i]!.backend.replace('bj-', '')));
  });

  it('explains a decision on the admin port', async () => {
    const seen = await get(`${adminUrl}/_graylane/explain?path=/app/page&ip=127.0.0.1&header=x-user-id:user-0`);
    expect(seen.status, seen.body).toBe(200);
    expect(JSON.parse(seen.body)).toMatchObject({
      rollout: 'app',
      region: 'beijing',
      reason: 'weight',
      stickyKey: 'user-0',
      pool: { key: before[0]!.backend === 'bj-v1' ? 'beijing/stable' : 'beijing/canary' },
    });
    expect((await get(`${adminUrl}/_graylane/explain?path=/elsewhere`)).status).toBe(404);
  });

  it('sends a region to the next healthy region when its stable pool is down, keeping canary users on its canary', async () => {
    const dead = backends.get('bj-v1')!;
    dead.close();
    dead.closeAllConnections();
    const stableUser = before.findIndex((s) => s.backend === 'bj-v1');
    await eventually('beijing stable marked down', 10_000, async () => {
      const seen = JSON.parse((await get(`${adminUrl}/_graylane/explain?path=/app/page&ip=127.0.0.1&header=x-user-id:user-${stableUser}`)).body) as {
        reason: string;
        pool: { key: string };
      };
      return seen.reason === 'region-fallback' && seen.pool.key === 'shanghai/stable' ? true : undefined;
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${logs()}`);
    });
    const after = await serveAll();
    after.forEach((s, i) => {
      const wasStable = before[i]!.backend === 'bj-v1';
      expect(s, `user-${i}`).toEqual(
        wasStable ? { status: 200, backend: 'sh-v1', reason: 'region-fallback' } : { status: 200, backend: 'bj-v2', reason: 'weight' },
      );
    });
  });
});
