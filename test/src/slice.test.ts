// One request's whole journey through the real stack: CLI command → config service → JetStream
// KV → proxy → backend → metric batches → analytics → ClickHouse → report.
import type { Server } from 'node:http';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '@graylane/contracts';
import { createDemoBackend } from '@graylane/demo';
import { eventually, freePort, proxyAtVersion, serviceLogs, startClickHouse, startNats, startService, untilOk, writeRolloutFile, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { get, listenOnLoopback, runConcurrently } from './support/http.js';
import { runGraylane } from './support/processes.js';

const USERS = 20_000;
const REVISITS = 2_000;

let nats: RunningServer;
let clickhouse: RunningServer;
const services: ServiceProcess[] = [];
const backends: Server[] = [];
let env: Record<string, string>;
let proxyUrl: string;
let proxyAdminUrl: string;
let specFile: string;

async function listen(server: Server): Promise<number> {
  backends.push(server);
  return listenOnLoopback(server);
}

beforeAll(async () => {
  [nats, clickhouse] = await Promise.all([startNats(), startClickHouse()]);
  const v1 = await listen(createDemoBackend('v1', { latencyMs: 1, tailRate: 0 }).server);
  const v2 = await listen(createDemoBackend('v2', { latencyMs: 1, tailRate: 0 }).server);
  const [proxyPort, adminPort, configPort, analyticsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  env = { GRAYLANE_NATS_URL: nats.url };
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  proxyAdminUrl = `http://127.0.0.1:${adminPort}`;

  services.push(
    startService('config', 'services/config/dist/main.js', { ...env, PORT: String(configPort) }),
    startService('analytics', 'services/analytics/dist/main.js', {
      ...env,
      PORT: String(analyticsPort),
      GRAYLANE_CLICKHOUSE_URL: clickhouse.url,
      GRAYLANE_CLICKHOUSE_DATABASE: 'slice',
    }),
    startService('proxy', 'services/proxy/dist/main.js', { ...env, PORT: String(proxyPort), ADMIN_PORT: String(adminPort) }),
  );
  for (const port of [configPort, analyticsPort]) {
    await untilOk(`readyz on ${port}`, `http://127.0.0.1:${port}/readyz`, undefined, services);
  }

  specFile = writeRolloutFile('checkout', {
    match: { pathPrefix: '/checkout' },
    stable: { name: 'v1', upstreams: [`http://127.0.0.1:${v1}`] },
    canary: { name: 'v2', upstreams: [`http://127.0.0.1:${v2}`] },
    responseHeaders: true,
    traffic: { weight: 30, stickyKey: ['header:x-user-id', 'ip'] },
  });
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  for (const server of backends) server.close();
  await Promise.all([nats?.stop(), clickhouse?.stop()]);
});

function logsOnFailure(): string {
  return serviceLogs(services);
}

describe('the foundation slice through the real stack', () => {
  it('refuses traffic with a clear 503 before any config exists', async () => {
    await eventually('proxy listening', 30_000, async () => (await get(`${proxyAdminUrl}/healthz`)).status === 200 || undefined);
    const seen = await get(`${proxyUrl}/checkout`);
    expect(seen.status).toBe(503);
    expect(seen.body).toContain('has not received any routing config');
    expect((await get(`${proxyAdminUrl}/readyz`)).status).toBe(503);
  });

  it('applies a rollout at weight 30 and routes 30 % ± 1.5 pp of distinct users to canary, each user always on one pool', async () => {
    const applied = await runGraylane(['apply', '-f', specFile, '--json'], env);
    expect(applied.stderr, logsOnFailure()).toBe('');
    expect(applied.code).toBe(0);
    const version = (JSON.parse(applied.stdout) as { version: number }).version;
    expect(version).toBeGreaterThan(0);
    expect(await proxyAtVersion(proxyAdminUrl, version, 10_000)).toBe(version);

    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const poolOf = new Map<string, string>();
    let flips = 0;
    let sent = 0;
    const send = async (user: string): Promise<void> => {
      sent += 1;
      const seen = await get(`${proxyUrl}/checkout/cart`, { 'x-user-id': user }, agent);
      expect(seen.status).toBe(200);
      const pool = String(seen.headers['x-graylane-pool']);
      expect(JSON.parse(seen.body)).toMatchObject({ version: pool });
      const before = poolOf.get(user);
      if (before !== undefined && before !== pool) flips += 1;
      poolOf.set(user, pool);
    };
    await runConcurrently(USERS, 32, (i) => send(`user-${i}`));
    await runConcurrently(REVISITS, 32, (i) => send(`user-${i * 7}`));
    agent.destroy();

    const canary = [...poolOf.values()].filter((pool) => pool === 'v2').length;
    const share = canary / USERS;
    console.log(`canary share ${(share * 100).toFixed(2)} % of ${USERS} users; ${flips} flips on ${REVISITS} revisits`);
    expect(share).toBeGreaterThanOrEqual(0.285);
    expect(share).toBeLessThanOrEqual(0.315);
    expect(flips).toBe(0);

    const report = await eventually('ClickHouse to hold every request', 30_000, async () => {
      const run = await runGraylane(['report', 'checkout', '--since', '10m', '--json'], env);
      if (run.code !== 0) return undefined;
      const parsed = JSON.parse(run.stdout) as ReportV1;
      const total = parsed.pools.reduce((sum, pool) => sum + pool.requests, 0);
      return total >= sent ? parsed : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${logsOnFailure()}`);
    });
    const total = report.pools.reduce((sum, pool) => sum + pool.requests, 0);
    console.log(
      `ClickHouse holds ${total} of ${sent} requests sent; ` +
        report.pools.map((p) => `${p.pool}/${p.version}: ${p.requests} req, p99 ${p.p99Ms.toFixed(2)} ms`).join('; '),
    );
    expect(total).toBe(sent);
    expect(report.pools.map((p) => p.pool).sort()).toEqual(['canary', 'stable']);
    for (const pool of report.pools) {
      expect(pool.p99Ms).toBeGreaterThan(0);
      expect(pool.errors).toBe(0);
    }
  });

  it('rejects bad input with one clear line and a non-zero exit, changing nothing', async () => {
    const before = await runGraylane(['get', 'checkout', '--json'], env);
    const version = (JSON.parse(before.stdout) as { version: number }).version;

    const cases: Array<[string[], number, RegExp]> = [
      [['weight', 'checkout', '101'], 3, /\/weight.*100.*got 101/],
      [['weight', 'checkout', '-1'], 3, /\/weight.*got -1/],
      [['weight', 'nosuch', '10'], 4, /no rollout named "nosuch"/],
      [['apply', '-f', '-'], 3, /\/spec\/canary: is required/],
    ];
    const missingCanary = 'apiVersion: graylane.dev/v1\nkind: Rollout\nmetadata: {name: broken}\nspec:\n  match: {pathPrefix: /b}\n  stable: {name: v1, upstreams: [http://127.0.0.1:1]}\n  traffic: {weight: 5}\n';
    for (const [args, code, message] of cases) {
      const run = await runGraylane(args, env, args[0] === 'apply' ? missingCanary : undefined);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }

    const unreachable = await runGraylane(['weight', 'checkout', '10'], { GRAYLANE_NATS_URL: `nats://127.0.0.1:${await freePort()}` });
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toMatch(/cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+/);

    const after = await runGraylane(['get', 'checkout', '--json'], env);
    expect((JSON.parse(after.stdout) as { version: number }).version).toBe(version);
  });
});
