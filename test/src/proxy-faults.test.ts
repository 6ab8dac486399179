// Fault tests of the data plane with real processes: the proxy (dist/main.js) on a real
// nats-server, backends as their own processes, load from this process. Each scenario runs the
// load for a few seconds while one part fails, and asserts what a user of the proxy would notice.
// Every scenario runs twice: with one proxy process, and with a primary and 2 workers per proxy.
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTING_TABLE_KEY, type RoutingTableV1 } from '@graylane/contracts';
import { connectNats, createLogger, openConfigBucket } from '@graylane/runtime';
import { eventually, freePort, rolloutRecord, routingTableOf, startNats, startRedis, startService, untilOk, waitForTcp, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { get } from './support/http.js';

/** A backend as its own process, so it can be killed like a crashed server. */
function startBackend(name: string, port: number): ChildProcess {
  const source = `require('node:http').createServer((q, s) => { s.setHeader('x-backend', ${JSON.stringify(name)}); s.end('ok'); }).listen(${port}, '127.0.0.1')`;
  return spawn(process.execPath, ['-e', source], { stdio: 'ignore' });
}

/** What a run of load saw. */
interface LoadReport {
  total: number;
  failures: { at: number; what: string }[];
  byBackend: Map<string, number>;
  latenciesMs: number[];
}

/** Sends GETs from `concurrency` keep-alive clients until `stop()` is called. */
function startLoad(url: string, concurrency: number): { stop: () => Promise<LoadReport> } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const report: LoadReport = { total: 0, failures: [], byBackend: new Map(), latenciesMs: [] };
  let running = true;
  const worker = async (id: number): Promise<void> => {
    let n = 0;
    while (running) {
      const started = performance.now();
      try {
        // A new session per request: every request misses the proxy's binding cache and asks Redis.
        const key = `${id}-${n++}`;
        const seen = await get(url, { 'x-user-id': `user-${key}`, cookie: `SESSIONID=s-${key}` }, agent);
        const backend = String(seen.headers['x-backend'] ?? 'none');
        report.byBackend.set(backend, (report.byBackend.get(backend) ?? 0) + 1);
        if (seen.status !== 200) report.failures.push({ at: Date.now(), what: `${seen.status} ${seen.body}` });
      } catch (error) {
        report.failures.push({ at: Date.now(), what: (error as Error).message });
      }
      report.latenciesMs.push(performance.now() - started);
      report.total += 1;
    }
  };
  const workers = Array.from({ length: concurrency }, (_, id) => worker(id));
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return report;
    },
  };
}

/** The value below which the share `q` of `values` lies (nearest rank). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * q)] ?? NaN;
}
const p99 = (values: number[]): number => quantile(values, 0.99);
const p50 = (values: number[]): number => quantile(values, 0.5);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A proxy process as the Redis scenario sees it: where to send traffic and its admin port. */
interface ProxyUnderTest {
  url: string;
  adminUrl: string;
}

/**
 * Sends GETs at a fixed rate to every proxy in `targets` for `durationMs`: each tick sends one
 * request to each, in turns so none always goes first, and as soon as its turn comes whether or
 * not the earlier ones were answered (open loop), so latency is measured below saturation, not as
 * the queueing of a closed loop. Each request starts a new session, so each one asks Redis.
 */
async function pacedAcross(targets: ProxyUnderTest[], ratePerS: number, durationMs: number): Promise<LoadReport[]> {
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 64 }));
  const reports: LoadReport[] = targets.map(() => ({ total: 0, failures: [], byBackend: new Map(), latenciesMs: [] }));
  const inFlight: Promise<void>[] = [];
  const due = Math.round((ratePerS * durationMs) / 1000);
  const one = async (target: number, key: string): Promise<void> => {
    const report = reports[target] as LoadReport;
    const started = performance.now();
    try {
      const seen = await get(`${targets[target]?.url}/cart`, { 'x-user-id': `user-${key}`, cookie: `SESSIONID=s-${key}` }, agents[target]);
      if (seen.status !== 200) report.failures.push({ at: Date.now(), what: `${seen.status} ${seen.body}` });
    } catch (error) {
      report.failures.push({ at: Date.now(), what: (error as Error).message });
    }
    report.latenciesMs.push(performance.now() - started);
    report.total += 1;
  };
  const run = `${Date.now()}`;
  const startedAt = performance.now();
  let sent = 0;
  while (sent < due) {
    // Timers fire late under load; sending what is owed by now keeps the rate, not the spacing.
    const owed = Math.min(due, Math.floor(((performance.now() - startedAt) * ratePerS) / 1000) + 1);
    for (; sent < owed; sent++) {
      for (let turn = 0; turn < targets.length; turn++) inFlight.push(one((sent + turn) % targets.length, `${run}-${sent}`));
    }
    await sleep(1000 / ratePerS);
  }
  await Promise.all(inFlight);
  for (const agent of agents) agent.destroy();
  return reports;
}

/**
 * Paced rate per proxy and window length of the Redis scenario: well below saturation on a busy
 * 2-core machine (at 200/s the load generator's own delays already dominate p99), and 500
 * requests per proxy, so a p99 rests on its 5 slowest requests.
 */
const REDIS_RATE_PER_S = 100;
const REDIS_WINDOW_MS = 5000;
/** "p99 stays within a few ms of normal" (issue 4). */
const REDIS_P99_TOLERANCE_MS = 3;
/**
 * Above this normal p99 the tail is set by the machine's scheduling, not by the proxy: at this
 * rate a quiet 2-core machine gives a p99 of 3 to 10 ms, a busy one 100 ms and more, where two
 * identical proxies' p99s lie tens of ms apart and a 3 ms verdict is a coin toss.
 */
const QUIET_P99_MS = 20;

/** A proxy's session-store counters (admin port). */
async function sessionStats(target: ProxyUnderTest): Promise<{ redisLookups: number; redisErrors: number; deadlineMisses: number }> {
  const seen = await get(`${target.adminUrl}/_graylane/sessions`);
  return JSON.parse(seen.body) as { redisLookups: number; redisErrors: number; deadlineMisses: number };
}

/** Whether a proxy's Redis lookups fail now: one request with a new session, and its error counter. */
async function redisStateSeenBy(target: ProxyUnderTest): Promise<'up' | 'down'> {
  const before = await sessionStats(target);
  await get(`${target.url}/cart`, { 'x-user-id': 'probe', cookie: `SESSIONID=probe-${Math.random()}` });
  const after = await sessionStats(target);
  return after.redisErrors > before.redisErrors ? 'down' : 'up';
}

/** Starts the proxy from dist on the shared NATS with `redisUrl`; resolves once it is ready. */
async function startProxy(redisUrl: string): Promise<{ process: ServiceProcess; url: string; adminUrl: string }> {
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  const started = startService('proxy', 'services/proxy/dist/main.js', {
    GRAYLANE_NATS_URL: nats.url,
    GRAYLANE_REDIS_URL: redisUrl,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    GRAYLANE_METRICS_INTERVAL_MS: '200',
    GRAYLANE_PROXY_WORKERS: String(proxyWorkers),
  });
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  try {
    await untilOk('proxy ready', `${adminUrl}/readyz`, 60_000, [started]);
    if (proxyWorkers > 1) await allWorkersAt(adminUrl, (version) => version > 0);
  } catch (error) {
    // Not left running (with its workers) after a failed start.
    await started.stop();
    throw error;
  }
  return { process: started, url: `http://127.0.0.1:${port}`, adminUrl };
}

/** With workers: waits until every one of them is ready and has applied a version `wanted` accepts. */
async function allWorkersAt(adminUrl: string, wanted: (version: number) => boolean): Promise<void> {
  await eventually('every worker ready', 30_000, async () => {
    const seen = JSON.parse((await get(`${adminUrl}/readyz`)).body) as { workers?: { ready: boolean; configVersion: number }[] };
    const workers = seen.workers ?? [];
    return workers.length === proxyWorkers && workers.every((worker) => worker.ready && wanted(worker.configVersion)) ? true : undefined;
  });
}

/** Processes per proxy: 1 (no primary) or a primary with this many workers; set per run of the suite. */
let proxyWorkers = 1;
let proxyAdminUrl: string;
let nats: RunningServer;
let redis: RunningServer;
let proxy: ServiceProcess;
let proxyUrl: string;
const backends: ChildProcess[] = [];
let backendUrls: string[] = [];
let backendPorts: number[] = [];

function routingTable(weight: number): RoutingTableV1 {
  const [a = '', b = '', c = ''] = backendUrls;
  const session = { cookie: 'SESSIONID', ttl: '30m' };
  return routingTableOf(
    rolloutRecord({ name: 'shop', pathPrefix: '/', weight, stableUpstreams: [a, b], canaryUpstreams: [c], stickyKey: ['header:x-user-id'], responseHeaders: true, updatedBy: 'proxy-faults' }, { session }),
  );
}

async function putTable(weight: number): Promise<number> {
  const nc = await connectNats(nats.url, createLogger('proxy-faults', 'warn'), { name: 'proxy-faults', waitForServer: false });
  try {
    const kv = await openConfigBucket(nc);
    return await kv.put(ROUTING_TABLE_KEY, JSON.stringify(routingTable(weight)));
  } finally {
    await nc.close();
  }
}

describe.each([1, 2])('proxy under faults, %i worker(s) per proxy', (workers) => {
  beforeAll(async () => {
    proxyWorkers = workers;
    backends.length = 0;
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    backendPorts = await Promise.all([freePort(), freePort(), freePort()]);
    backendUrls = backendPorts.map((port) => `http://127.0.0.1:${port}`);
    backendPorts.forEach((port, i) => backends.push(startBackend(`b${i}`, port)));
    await Promise.all(backendPorts.map((port) => waitForTcp(port, 10_000)));
    await putTable(0);
    const started = await startProxy(redis.url);
    proxy = started.process;
    proxyUrl = started.url;
    proxyAdminUrl = started.adminUrl;
  });

  afterAll(async () => {
    await proxy?.stop();
    for (const backend of backends) backend.kill('SIGKILL');
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  describe('proxy under faults', () => {
    it('shifts requests to the rest of the pool when a backend endpoint is killed under load', async () => {
      const load = startLoad(`${proxyUrl}/cart`, 16);
      await sleep(1500);
      const killedAt = Date.now();
      backends[0]?.kill('SIGKILL');
      await sleep(2500);
      const report = await load.stop();
      const burst = report.failures.filter((f) => f.at >= killedAt);
      console.log(`backend killed under load: ${report.total} requests, ${report.failures.length} failed (${[...new Set(report.failures.map((f) => f.what))].join('; ')}), served by ${JSON.stringify([...report.byBackend])}`);
      // GETs that found the endpoint gone are retried on the other one; the burst is bounded.
      expect(burst.length).toBeLessThanOrEqual(16);
      expect(report.failures.filter((f) => f.at > killedAt + 1000)).toEqual([]);
      expect(report.byBackend.get('b1') ?? 0).toBeGreaterThan(report.total / 3);
      // The endpoint comes back, so the later scenarios do not measure retries around a dead one.
      const port = backendPorts[0] ?? 0;
      backends.push(startBackend('b0', port));
      await waitForTcp(port, 10_000);
    });

    describe('with Redis stopped', () => {
      // Normal and Redis-down latency are measured at the same instants: three fresh proxies (same
      // build, same config, same warm-up) take the same paced load, request by request; two use the
      // suite's Redis, one its own, which is stopped. The machine's load (other tests, the load
      // generator itself) falls on all three alike, which before/after windows cannot promise, and
      // the two proxies with Redis show how far identical proxies lie apart at those instants.
      let reports: { a: LoadReport; b: LoadReport; without: LoadReport };
      let lookups: number[];
      let errors: number[];
      let deadlineMisses: number[];

      beforeAll(async () => {
        const stoppedRedis = await startRedis();
        const started = await Promise.all([startProxy(redis.url), startProxy(redis.url), startProxy(stoppedRedis.url)]);
        try {
          const [upA, upB, down] = started as [ProxyUnderTest, ProxyUnderTest, ProxyUnderTest];
          // Fresh processes run cold code (JIT, new sockets): a burst of closed-loop load warms all alike.
          const warming = started.map((twin) => startLoad(`${twin.url}/cart`, 4));
          await sleep(1500);
          await Promise.all(warming.map((load) => load.stop()));
          await stoppedRedis.kill();
          await eventually('the proxy sees its Redis down', 15_000, async () => ((await redisStateSeenBy(down)) === 'down' ? true : undefined));
          const before = await Promise.all([upA, upB, down].map(sessionStats));
          const [a, b, without] = (await pacedAcross([upA, upB, down], REDIS_RATE_PER_S, REDIS_WINDOW_MS)) as [LoadReport, LoadReport, LoadReport];
          const after = await Promise.all([upA, upB, down].map(sessionStats));
          reports = { a, b, without };
          lookups = after.map((stats, i) => stats.redisLookups - (before[i]?.redisLookups ?? 0));
          errors = after.map((stats, i) => stats.redisErrors - (before[i]?.redisErrors ?? 0));
          deadlineMisses = after.map((stats, i) => stats.deadlineMisses - (before[i]?.deadlineMisses ?? 0));
          const normal = p99([...a.latenciesMs, ...b.latenciesMs]);
          const withoutP99 = p99(without.latenciesMs);
          console.log(
            `Redis stopped: p99 ${normal.toFixed(2)} ms with Redis, ${withoutP99.toFixed(2)} ms without (${(withoutP99 - normal).toFixed(2)} ms); ` +
              `the two proxies with Redis: ${p99(a.latenciesMs).toFixed(2)} and ${p99(b.latenciesMs).toFixed(2)} ms; ` +
              `p50 ${p50([...a.latenciesMs, ...b.latenciesMs]).toFixed(2)} and ${p50(without.latenciesMs).toFixed(2)} ms; ${without.total} requests each; ` +
              `Redis errors ${errors.join('/')}; deadline misses ${deadlineMisses.join('/')}`,
          );
        } finally {
          await Promise.all(started.map((twin) => twin.process.stop()));
          await stoppedRedis.stop();
        }
      }, 120_000);

      it('serves every request and makes none wait for Redis', () => {
        const { a, b, without } = reports;
        expect([...a.failures, ...b.failures, ...without.failures]).toEqual([]);
        expect(without.total).toBeGreaterThanOrEqual((REDIS_RATE_PER_S * REDIS_WINDOW_MS) / 1000);
        // Every request asks Redis (a new session each): the running ones answered all, the stopped one none.
        expect(lookups.every((count) => count >= without.total)).toBe(true);
        expect(errors.slice(0, 2)).toEqual([0, 0]);
        expect(errors[2]).toBeGreaterThanOrEqual(without.total);
        // What keeps p99 flat, whatever the machine's load: with Redis down every lookup fails at once
        // (no offline queue), so no request sits out the lookup deadline.
        expect(deadlineMisses[2]).toBe(0);
      });

      it('keeps p99 within 3 ms of normal', (ctx) => {
        const { a, b, without } = reports;
        const normal = p99([...a.latenciesMs, ...b.latenciesMs]);
        const noiseMs = Math.abs(p99(a.latenciesMs) - p99(b.latenciesMs));
        // Judged only when the machine is quiet enough to tell 3 ms apart; otherwise skipped, visibly, with the figures.
        if (noiseMs > REDIS_P99_TOLERANCE_MS || normal > QUIET_P99_MS) {
          ctx.skip(
            `machine too busy to judge ${REDIS_P99_TOLERANCE_MS} ms: p99 with Redis ${normal.toFixed(2)} ms (quiet: under ${QUIET_P99_MS} ms), ` +
              `two identical proxies with Redis ${noiseMs.toFixed(2)} ms apart`,
          );
        }
        // "Normal" is what the two proxies with Redis showed: the slower of two identical proxies is as normal as the faster.
        const normalAtWorst = Math.max(p99(a.latenciesMs), p99(b.latenciesMs));
        expect(p99(without.latenciesMs)).toBeLessThanOrEqual(normalAtWorst + REDIS_P99_TOLERANCE_MS);
      });
    });

    it('keeps serving on the last config while NATS is down for 10 s, then catches up', async () => {
      const load = startLoad(`${proxyUrl}/cart`, 8);
      await sleep(500);
      await nats.kill();
      await sleep(10_000);
      await nats.start();
      await sleep(500);
      const report = await load.stop();
      console.log(`NATS down 10 s under load: ${report.total} requests, ${report.failures.length} failed`);
      expect(report.total).toBeGreaterThan(500);
      expect(report.failures.filter((f) => !f.what.includes('ECONNREFUSED'))).toEqual([]);
      expect(report.failures).toEqual([]);
      // After the reconnect the proxy applies a version written meanwhile: it caught up.
      const version = await putTable(100);
      await eventually('new version applied', 20_000, async () => {
        const seen = await get(`${proxyUrl}/cart`, { 'x-user-id': 'after-outage' });
        return seen.headers['x-graylane-config-version'] === String(version) && seen.headers['x-graylane-pool'] === 'v2' ? true : undefined;
      });
      // With workers, each reconnected and caught up on its own.
      if (proxyWorkers > 1) await allWorkersAt(proxyAdminUrl, (applied) => applied === version);
    });
  });
});
