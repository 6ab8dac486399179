// Session stickiness through the real proxy and Redis: a session keeps the pool it first got across
// a weight change, bindings can be moved through the admin API (and a second proxy follows at once,
// told over NATS), every binding of one rollout can be cleared at once (the second proxy drops its
// cached copies of that rollout, and of no other), an abort moves canary sessions back to stable,
// and a slow or dead Redis never stalls a request. The session counters move on the admin port's
// Prometheus /metrics.
import { execFile, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { Agent, request } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoBackend } from '@graylane/demo';
import { eventually, freePort, proxyAtVersion, serviceLogs, startNats, startRedis, startService, untilOk, writeRolloutFile, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { get, listenOnLoopback, runConcurrently } from './support/http.js';
import { runGraylane } from './support/processes.js';

const SESSIONS = 200;
/** sessions bound in both rollouts for the clear-a-whole-rollout test */
const CLEARED_SESSIONS = 30;

const execFileAsync = promisify(execFile);

let nats: RunningServer;
let redis: RunningServer;
const services: ServiceProcess[] = [];
const backends: Server[] = [];
let env: Record<string, string>;
let proxyUrl: string;
let adminUrl: string;
/** a second proxy on the same NATS and Redis, whose session cache would stay stale for 10 minutes if nothing told it */
let otherProxyUrl: string;
let otherAdminUrl: string;
let agent: Agent;
let stableUpstream: string;
let canaryUpstream: string;

async function listen(server: Server): Promise<number> {
  backends.push(server);
  return listenOnLoopback(server);
}

function logs(): string {
  return serviceLogs(services);
}

/** Runs a CLI command and waits until the proxy serves the version it produced. */
async function command(args: string[]): Promise<void> {
  const run = await runGraylane([...args, '--json'], env);
  expect(run.code, `${run.stderr}\n${logs()}`).toBe(0);
  const version = (JSON.parse(run.stdout) as { version: number }).version;
  for (const admin of [adminUrl, otherAdminUrl]) await proxyAtVersion(admin, version);
}

interface Visit {
  pool: string;
  reason: string;
}

/** One request of session `sid`, with a user id never seen before, so only the binding can keep it on its pool. */
let visitCount = 0;
async function visit(sid: string, through = proxyUrl, path = '/shop/cart'): Promise<Visit> {
  visitCount += 1;
  const seen = await get(`${through}${path}`, { 'x-user-id': `anonymous-${visitCount}`, cookie: `theme=dark; SID=${sid}` }, agent);
  expect(seen.status, seen.body).toBe(200);
  const pool = String(seen.headers['x-graylane-pool']);
  expect(JSON.parse(seen.body)).toMatchObject({ version: pool });
  return { pool, reason: String(seen.headers['x-graylane-reason']) };
}

async function visitAll(prefix: string, count: number): Promise<Visit[]> {
  return visitEach(Array.from({ length: count }, (_, i) => `${prefix}-${i}`));
}

/** One visit of each session in `sids` through `through` on `path`; the visits in the order of `sids`. */
async function visitEach(sids: readonly string[], through = proxyUrl, path = '/shop/cart'): Promise<Visit[]> {
  const visits: Visit[] = new Array<Visit>(sids.length);
  await runConcurrently(sids.length, 16, async (i) => {
    visits[i] = await visit(sids[i]!, through, path);
  });
  return visits;
}

/** The session ids Redis holds a binding for in `rollout`, read with redis-cli: a witness apart from the proxy. */
async function sessionsBoundInRedis(rollout: string): Promise<string[]> {
  const prefix = `graylane:session:${rollout}:`;
  const { stdout } = await execFileAsync('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', `${prefix}*`]);
  return stdout
    .split('\n')
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length))
    .sort();
}

/** The binding proxy `admin` would use for session `sid` on `path` right now (null: none); explain binds nothing. */
async function explainedBinding(admin: string, path: string, sid: string): Promise<string | null> {
  const explained = await get(`${admin}/_graylane/explain?path=${encodeURIComponent(path)}&cookie=SID%3D${sid}`);
  expect(explained.status, explained.body).toBe(200);
  return (JSON.parse(explained.body) as { session: { binding: string | null } }).session.binding;
}

/** How far `series` moved from `before` to `after` (NaN when either lacks it, so a renamed series fails loudly). */
function movedBy(before: Map<string, number>, after: Map<string, number>, series: string): number {
  return (after.get(series) ?? Number.NaN) - (before.get(series) ?? Number.NaN);
}

/** The proxies' admin token: moving and clearing bindings is closed without one. */
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

function send(method: string, url: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function sessionStats(): Promise<Partial<Record<string, number>>> {
  return JSON.parse((await get(`${adminUrl}/_graylane/sessions`)).body) as Partial<Record<string, number>>;
}

/** The samples of the proxy's Prometheus /metrics, by series (`name` or `name{labels}`). */
async function metrics(admin = adminUrl): Promise<Map<string, number>> {
  const page = await get(`${admin}/metrics`);
  expect(page.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of page.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** A rollout at weight 50 that binds sessions by the `SID` cookie, written as a manifest file. */
function sessionRolloutFile(name: string, pathPrefix: string): string {
  return writeRolloutFile(name, {
    match: { pathPrefix },
    stable: { name: 'v1', upstreams: [stableUpstream] },
    canary: { name: 'v2', upstreams: [canaryUpstream] },
    responseHeaders: true,
    traffic: { weight: 50, stickyKey: ['header:x-user-id'] },
    session: { cookie: 'SID', ttl: '30m' },
  });
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  const v1 = await listen(createDemoBackend('v1', { latencyMs: 0, tailRate: 0 }).server);
  const v2 = await listen(createDemoBackend('v2', { latencyMs: 0, tailRate: 0 }).server);
  stableUpstream = `http://127.0.0.1:${v1}`;
  canaryUpstream = `http://127.0.0.1:${v2}`;
  const [proxyPort, adminPort, configPort, otherPort, otherAdminPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  env = { GRAYLANE_NATS_URL: nats.url };
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  adminUrl = `http://127.0.0.1:${adminPort}`;
  otherProxyUrl = `http://127.0.0.1:${otherPort}`;
  otherAdminUrl = `http://127.0.0.1:${otherAdminPort}`;
  services.push(
    startService('config', 'services/config/dist/main.js', { ...env, PORT: String(configPort) }),
    startService('proxy', 'services/proxy/dist/main.js', {
      ...env,
      PORT: String(proxyPort),
      ADMIN_PORT: String(adminPort),
      GRAYLANE_REDIS_URL: redis.url,
      GRAYLANE_ADMIN_TOKEN: ADMIN_TOKEN,
      // Generous for a loaded CI machine; the slow-Redis case below still shows the deadline at work.
      GRAYLANE_SESSION_DEADLINE_MS: '150',
    }),
    startService('proxy-b', 'services/proxy/dist/main.js', {
      ...env,
      PORT: String(otherPort),
      ADMIN_PORT: String(otherAdminPort),
      GRAYLANE_REDIS_URL: redis.url,
      GRAYLANE_SESSION_DEADLINE_MS: '150',
      GRAYLANE_SESSION_CACHE_TTL_MS: '600000',
      GRAYLANE_ADMIN_TOKEN: ADMIN_TOKEN,
    }),
  );
  await untilOk('config ready', `http://127.0.0.1:${configPort}/readyz`, undefined, services);
  await untilOk('proxy listening', `${adminUrl}/healthz`, undefined, services);
  await untilOk('proxy B listening', `${otherAdminUrl}/healthz`, undefined, services);
  const specFile = sessionRolloutFile('shop', '/shop');
  agent = new Agent({ keepAlive: true, maxSockets: 16 });
  await command(['apply', '-f', specFile]);
}, 90_000);

afterAll(async () => {
  agent?.destroy();
  await Promise.all(services.map((s) => s.stop()));
  for (const server of backends) server.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe('session stickiness through the real proxy and Redis', () => {
  let first: Visit[] = [];

  it('binds each new session to the pool it first got, in Redis', async () => {
    const before = await metrics();
    first = await visitAll('s', SESSIONS);
    expect(new Set(first.map((v) => v.reason))).toEqual(new Set(['weight']));
    const canary = first.filter((v) => v.pool === 'v2').length;
    expect(canary).toBeGreaterThan(SESSIONS * 0.3);
    expect(canary).toBeLessThan(SESSIONS * 0.7);
    // The write is asynchronous: it lands just after the response.
    const stored = await eventually('binding in Redis', 5_000, async () => {
      const seen = JSON.parse((await get(`${adminUrl}/_graylane/sessions/shop/s-0`)).body) as { binding: string | null };
      return seen.binding ?? undefined;
    });
    expect(stored).toBe(first[0]!.pool === 'v2' ? 'canary:v2' : 'stable:v1');
    // Fresh user ids every visit: without the binding about half of these would change pool.
    const again = await visitAll('s', SESSIONS);
    again.forEach((v, i) => expect(v, `session s-${i}`).toEqual({ pool: first[i]!.pool, reason: 'session' }));
    // What an operator's Prometheus sees: one Redis lookup per new session, the bindings written, then cache hits.
    const after = await metrics();
    const moved = (series: string): number => movedBy(before, after, series);
    expect(moved('graylane_proxy_session_cache_misses_total')).toBeGreaterThanOrEqual(SESSIONS);
    expect(moved('graylane_proxy_session_bindings_written_total')).toBe(SESSIONS);
    expect(moved('graylane_proxy_session_cache_hits_total')).toBeGreaterThanOrEqual(SESSIONS);
    expect(moved('graylane_proxy_decisions_total{reason="session"}')).toBe(SESSIONS);
    expect(after.get('graylane_proxy_session_cache_entries')).toBeGreaterThanOrEqual(SESSIONS);
  });

  it('keeps every existing session where it is across a weight change, while new sessions follow the new weight', async () => {
    await command(['weight', 'shop', '10']);
    const after = await visitAll('s', SESSIONS);
    after.forEach((v, i) => expect(v, `session s-${i}`).toEqual({ pool: first[i]!.pool, reason: 'session' }));
    const fresh = await visitAll('new', SESSIONS);
    const canary = fresh.filter((v) => v.pool === 'v2').length;
    expect(canary).toBeLessThan(SESSIONS * 0.25);
  });

  it('moves and clears a binding through the admin API, and the other proxy follows at once', async () => {
    const index = first.findIndex((v) => v.pool === 'v1');
    // Proxy B reads the binding from Redis once and keeps it in its cache (10 min TTL).
    expect(await visit(`s-${index}`, otherProxyUrl)).toEqual({ pool: 'v1', reason: 'session' });
    expect(await visit(`s-${index}`, otherProxyUrl)).toEqual({ pool: 'v1', reason: 'session' });
    // Without the token, however the path is spelled, nothing moves.
    for (const path of [`/_graylane/sessions/shop/s-${index}`, `/_graylane/%73essions/shop/s-${index}`, `/%5Fgraylane/sessions/shop/s-${index}`]) {
      expect((await send('PUT', `${adminUrl}${path}`, { side: 'canary' }, null)).status, path).toBe(401);
    }
    expect((await send('DELETE', `${adminUrl}/%5Fgraylane/sessions/shop`, undefined, null)).status).toBe(401);
    expect(await visit(`s-${index}`)).toEqual({ pool: 'v1', reason: 'session' });
    const moved = await send('PUT', `${adminUrl}/_graylane/sessions/shop/s-${index}`, { side: 'canary' });
    expect(moved.status, moved.body).toBe(200);
    expect(await visit(`s-${index}`)).toEqual({ pool: 'v2', reason: 'session' });
    // NATS delivers within milliseconds; 2 s is room for a loaded machine, far below B's cache TTL.
    await eventually('proxy B follows the move', 2_000, async () => ((await visit(`s-${index}`, otherProxyUrl)).pool === 'v2' ? true : undefined));
    expect((await metrics(otherAdminUrl)).get('graylane_proxy_session_announcements_applied_total')).toBeGreaterThanOrEqual(1);
    const bad = await send('PUT', `${adminUrl}/_graylane/sessions/shop/s-${index}`, { side: 'v3' });
    expect(bad.status).toBe(400);
    expect((JSON.parse(bad.body) as { message: string }).message).toContain('"v3"');
    const cleared = await send('DELETE', `${adminUrl}/_graylane/sessions/shop/s-${index}`);
    expect(JSON.parse(cleared.body)).toMatchObject({ cleared: 1 });
    // B drops its copy: explain (which binds nothing) finds no binding there either.
    await eventually('proxy B follows the clear', 2_000, async () => ((await explainedBinding(otherAdminUrl, '/shop/cart', `s-${index}`)) === null ? true : undefined));
    expect((await visit(`s-${index}`)).reason).toBe('weight');
  });

  it('clears every binding of one rollout through the admin API; the other proxy drops its cached copies at once, and other rollouts keep theirs', async () => {
    // A second rollout with the same session cookie, so the same session ids are bound once in each.
    const basketSpec = sessionRolloutFile('basket', '/basket');
    await command(['apply', '-f', basketSpec]);
    const sids = Array.from({ length: CLEARED_SESSIONS }, (_, i) => `both-${i}`);
    const asSession = (visits: Visit[]): Visit[] => visits.map((v) => ({ pool: v.pool, reason: 'session' }));

    // Proxy A binds each session in both rollouts; the writes land in Redis just after the responses.
    const basket = await visitEach(sids, proxyUrl, '/basket/items');
    const shop = await visitEach(sids, proxyUrl, '/shop/cart');
    expect(new Set(basket.map((v) => v.reason))).toEqual(new Set(['weight']));
    expect(new Set(basket.map((v) => v.pool))).toEqual(new Set(['v1', 'v2']));
    await eventually('both rollouts bound in Redis', 5_000, async () => {
      const inBasket = await sessionsBoundInRedis('basket');
      const inShop = (await sessionsBoundInRedis('shop')).filter((sid) => sid.startsWith('both-'));
      return inBasket.length === CLEARED_SESSIONS && inShop.length === CLEARED_SESSIONS ? true : undefined;
    });
    expect(await sessionsBoundInRedis('basket')).toEqual([...sids].sort());

    // Proxy B reads them from Redis, then answers from its cache (10 min TTL): no Redis lookup. On a
    // loaded machine a lookup can miss its deadline: that request goes by weight and the late answer
    // is not cached (BindingStore.bind), so B visits until one round is decided by the bindings alone.
    await eventually('proxy B decides every session by its binding', 10_000, async () => {
      const seen = [...(await visitEach(sids, otherProxyUrl, '/basket/items')), ...(await visitEach(sids, otherProxyUrl, '/shop/cart'))];
      return seen.every((v) => v.reason === 'session') ? true : undefined;
    });
    const beforeCached = await metrics(otherAdminUrl);
    expect(await visitEach(sids, otherProxyUrl, '/basket/items')).toEqual(asSession(basket));
    expect(await visitEach(sids, otherProxyUrl, '/shop/cart')).toEqual(asSession(shop));
    const cachedOnB = await metrics(otherAdminUrl);
    expect(movedBy(beforeCached, cachedOnB, 'graylane_proxy_session_cache_misses_total'), 'Redis lookups by proxy B').toBe(0);
    expect(movedBy(beforeCached, cachedOnB, 'graylane_proxy_session_cache_hits_total')).toBeGreaterThanOrEqual(2 * CLEARED_SESSIONS);

    const cleared = await send('DELETE', `${adminUrl}/_graylane/sessions/basket`);
    expect(cleared.status, cleared.body).toBe(200);
    expect(JSON.parse(cleared.body)).toEqual({ rollout: 'basket', cleared: CLEARED_SESSIONS });
    expect(await sessionsBoundInRedis('basket')).toEqual([]);

    // One whole-rollout announcement, and B drops every cached binding of basket: without it, B would
    // keep routing them by `session` for 10 minutes. 2 s is room for a loaded machine.
    await eventually('proxy B drops its cached basket bindings', 2_000, async () => {
      const seenByB = await Promise.all(sids.map((sid) => explainedBinding(otherAdminUrl, '/basket/items', sid)));
      return seenByB.every((binding) => binding === null) ? true : undefined;
    });
    const clearedOnB = await metrics(otherAdminUrl);
    expect(movedBy(cachedOnB, clearedOnB, 'graylane_proxy_session_announcements_applied_total')).toBe(1);

    // The rollout that was not cleared keeps its bindings in Redis and in both proxies' caches.
    expect((await sessionsBoundInRedis('shop')).filter((sid) => sid.startsWith('both-'))).toHaveLength(CLEARED_SESSIONS);
    const clearedOnA = await metrics(adminUrl);
    expect(await visitEach(sids, proxyUrl, '/shop/cart')).toEqual(asSession(shop));
    expect(await visitEach(sids, otherProxyUrl, '/shop/cart')).toEqual(asSession(shop));
    // A miss here means the clear dropped cached shop bindings too (they would be re-read from Redis).
    expect(movedBy(clearedOnA, await metrics(adminUrl), 'graylane_proxy_session_cache_misses_total'), 'shop lookups by proxy A').toBe(0);
    expect(movedBy(clearedOnB, await metrics(otherAdminUrl), 'graylane_proxy_session_cache_misses_total'), 'shop lookups by proxy B').toBe(0);

    // Cleared sessions get a fresh decision on B and are bound again, in Redis for every proxy.
    const fresh = await visitEach(sids, otherProxyUrl, '/basket/items');
    fresh.forEach((v, i) => expect(v.reason, `session both-${i}`).toBe('weight'));
    expect(await visitEach(sids, otherProxyUrl, '/basket/items')).toEqual(asSession(fresh));
    await eventually('basket bound again in Redis', 5_000, async () =>
      (await sessionsBoundInRedis('basket')).length === CLEARED_SESSIONS ? true : undefined,
    );
    const rebound = await Promise.all(
      sids.map(async (sid) => (JSON.parse((await get(`${adminUrl}/_graylane/sessions/basket/${sid}`)).body) as { binding: string | null }).binding),
    );
    expect(rebound).toEqual(fresh.map((v) => (v.pool === 'v2' ? 'canary:v2' : 'stable:v1')));
  });

  it('answers within the deadline while Redis is stalled, and counts the miss', async () => {
    const before = await sessionStats();
    // CLIENT PAUSE holds every other client's commands for 1.5 s: a Redis that accepts and does not answer.
    const paused = await new Promise<number | null>((resolve) => {
      spawn('redis-cli', ['-p', String(redis.port), 'CLIENT', 'PAUSE', '1500'], { stdio: 'ignore' }).once('exit', resolve);
    });
    expect(paused).toBe(0);
    const started = performance.now();
    const seen = await visit('stalled-session');
    const elapsed = performance.now() - started;
    expect(['v1', 'v2']).toContain(seen.pool);
    // This proxy's lookup deadline is 150 ms (set above); 300 leaves room for a loaded CI machine
    // and is far below the 1.5 s stall.
    expect(elapsed).toBeLessThan(300);
    const after = await sessionStats();
    expect(after.deadlineMisses).toBeGreaterThan(before.deadlineMisses ?? -1);
    expect((await metrics()).get('graylane_proxy_session_redis_deadline_misses_total')).toBe(after.deadlineMisses);
  });

  it('keeps serving with Redis gone, then moves every canary session back to stable on abort', async () => {
    await redis.stop();
    const before = await sessionStats();
    const started = performance.now();
    const withoutRedis = await visitAll('after-redis', 20);
    expect(withoutRedis).toHaveLength(20);
    expect(performance.now() - started).toBeLessThan(5_000);
    const after = await sessionStats();
    expect(after.redisErrors! + after.deadlineMisses!).toBeGreaterThan(before.redisErrors! + before.deadlineMisses!);
    const exposed = await metrics();
    expect(exposed.get('graylane_proxy_session_redis_errors_total')).toBeGreaterThanOrEqual(after.redisErrors!);

    expect(first.some((v) => v.pool === 'v2')).toBe(true);
    await command(['abort', 'shop', '--reason', 'e2e: canary broke sessions']);
    const aborted = await visitAll('s', SESSIONS);
    aborted.forEach((v, i) => expect(v, `session s-${i}`).toEqual({ pool: 'v1', reason: 'state' }));
  });
});
