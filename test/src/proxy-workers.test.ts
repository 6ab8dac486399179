// A proxy with GRAYLANE_PROXY_WORKERS=2, as real processes on a real nats-server and Redis: the
// primary and its two workers serve, apply a new config version in both and report each worker
// once; a worker killed under load is replaced while the other keeps serving; SIGTERM drains both.
import { createServer, Agent, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  METRICS_SUBJECT_PREFIX,
  PROXY_HEARTBEAT_SUBJECT,
  ROUTING_TABLE_KEY,
  type MetricBatchV1,
  type ProxyHeartbeatV1,
  type RoutingTableV1,
} from '@graylane/contracts';
import { connectNats, createLogger, decodeJson, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { differencesFromDoc, eventually, freePort, parsePrometheusText, rolloutRecord, routingTableOf, startNats, startRedis, startService, untilOk, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { get, listenOnLoopback } from './support/http.js';

interface WorkerState {
  id: number;
  pid: number;
  ready: boolean;
  configVersion: number;
}
interface Readiness {
  ready: boolean;
  configVersion: number;
  draining: boolean;
  workers: WorkerState[];
}

interface ProxyUnderTest {
  process: ServiceProcess;
  url: string;
  adminUrl: string;
  proxyId: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let nats: RunningServer;
let redis: RunningServer;
let nc: NatsConnection;
let backend: Server;
let backendUrl: string;
const heartbeats: ProxyHeartbeatV1[] = [];
const batches: MetricBatchV1[] = [];

/** A backend that answers after `?delay=<ms>` (0 by default). */
function startBackend(): Server {
  return createServer((req, res) => {
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
    setTimeout(() => res.end('ok'), delay);
  });
}

function routingTable(weight: number): RoutingTableV1 {
  return routingTableOf(
    rolloutRecord({ name: 'shop', pathPrefix: '/', weight, stableUpstreams: [backendUrl], canaryUpstreams: [backendUrl], stickyKey: ['header:x-user-id'], responseHeaders: true, updatedBy: 'proxy-workers' }),
  );
}

async function putTable(weight: number): Promise<number> {
  const kv = await openConfigBucket(nc);
  return kv.put(ROUTING_TABLE_KEY, JSON.stringify(routingTable(weight)));
}

async function readiness(proxy: ProxyUnderTest): Promise<Readiness> {
  return JSON.parse((await get(`${proxy.adminUrl}/readyz`)).body) as Readiness;
}

async function startProxy(name: string): Promise<ProxyUnderTest> {
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  const proxyId = `${name}-${Date.now()}`;
  const started = startService(name, 'services/proxy/dist/main.js', {
    GRAYLANE_NATS_URL: nats.url,
    GRAYLANE_REDIS_URL: redis.url,
    GRAYLANE_PROXY_ID: proxyId,
    GRAYLANE_PROXY_WORKERS: '2',
    GRAYLANE_METRICS_INTERVAL_MS: '200',
    GRAYLANE_DRAIN_GRACE_MS: '5000',
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
  });
  const proxy = { process: started, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, proxyId };
  try {
    await untilOk(`${name} ready`, `${proxy.adminUrl}/readyz`, 60_000, [started]);
    // Ready means one worker serves; these tests want both.
    await eventually(`${name}: both workers ready`, 30_000, async () => {
      const seen = await readiness(proxy);
      return seen.workers.length === 2 && seen.workers.every((worker) => worker.ready) ? true : undefined;
    });
  } catch (error) {
    await started.stop();
    throw error;
  }
  return proxy;
}

/** Sends GETs from `concurrency` keep-alive clients until `stop()`; failures are kept with their time. */
function startLoad(url: string, concurrency: number): { stop: () => Promise<{ total: number; failures: { at: number; what: string }[] }> } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const report = { total: 0, failures: [] as { at: number; what: string }[] };
  let running = true;
  const client = async (id: number): Promise<void> => {
    for (let n = 0; running; n++) {
      try {
        const seen = await get(url, { 'x-user-id': `user-${id}-${n}` }, agent);
        if (seen.status !== 200) report.failures.push({ at: Date.now(), what: `${seen.status} ${seen.body}` });
      } catch (error) {
        report.failures.push({ at: Date.now(), what: (error as Error).message });
      }
      report.total += 1;
    }
  };
  const clients = Array.from({ length: concurrency }, (_, id) => client(id));
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
      agent.destroy();
      return report;
    },
  };
}

/** The sum of a metric's samples in a Prometheus text, by worker label. */
function samplesByWorker(text: string, metric: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const worker = /worker="([^"]*)"/.exec(line)?.[1] ?? '';
    sums.set(worker, (sums.get(worker) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return sums;
}

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
  backend = startBackend();
  backendUrl = `http://127.0.0.1:${await listenOnLoopback(backend)}`;
  nc = await connectNats(nats.url, createLogger('proxy-workers', 'warn'), { name: 'proxy-workers', waitForServer: false });
  nc.subscribe(PROXY_HEARTBEAT_SUBJECT, {
    callback: (_error, msg) => {
      heartbeats.push(decodeJson(msg.data) as ProxyHeartbeatV1);
    },
  });
  nc.subscribe(`${METRICS_SUBJECT_PREFIX}.>`, {
    callback: (_error, msg) => {
      batches.push(decodeJson(msg.data) as MetricBatchV1);
    },
  });
  await putTable(0);
});

afterAll(async () => {
  await nc?.close();
  backend?.close();
  await Promise.all([nats?.stop(), redis?.stop()]);
});

describe('a proxy with 2 workers', () => {
  let proxy: ProxyUnderTest;

  beforeAll(async () => {
    proxy = await startProxy('proxy-2w');
  });

  afterAll(async () => {
    await proxy?.process.stop();
  });

  it('serves, applies a new config version in both workers and reports each worker once', async () => {
    const version = await putTable(100);
    await eventually('both workers applied the new version', 20_000, async () => {
      const seen = await readiness(proxy);
      return seen.workers.length === 2 && seen.workers.every((worker) => worker.configVersion === version) ? seen : undefined;
    });
    expect((await readiness(proxy)).configVersion).toBe(version);

    // Fresh connections, so the kernel (or cluster's round robin) spreads them over both workers.
    const sent = 200;
    const answers = await Promise.all(Array.from({ length: sent }, (_, i) => get(`${proxy.url}/cart`, { 'x-user-id': `u${i}`, connection: 'close' })));
    expect(answers.every((seen) => seen.status === 200 && seen.headers['x-graylane-config-version'] === String(version))).toBe(true);
    expect(answers.every((seen) => seen.headers['x-graylane-pool'] === 'v2')).toBe(true);

    // /metrics: one series per worker, together exactly the requests sent (no double count), and both served.
    const metrics = await eventually('both workers counted', 10_000, async () => {
      const text = (await get(`${proxy.adminUrl}/metrics`)).body;
      const sums = samplesByWorker(text, 'graylane_proxy_requests_total');
      return [...sums.values()].reduce((a, b) => a + b, 0) >= sent ? { text, sums } : undefined;
    });
    const workerIds = (await readiness(proxy)).workers.map((worker) => String(worker.id)).sort();
    expect([...metrics.sums.keys()].sort()).toEqual(workerIds);
    expect([...metrics.sums.values()].reduce((a, b) => a + b, 0)).toBe(sent);
    expect([...metrics.sums.values()].every((count) => count > 0)).toBe(true);
    expect([...samplesByWorker(metrics.text, 'graylane_proxy_config_version').values()]).toEqual([version, version]);
    expect(metrics.text.match(/^# TYPE graylane_proxy_requests_total counter$/gm)).toHaveLength(1);
    // The merged exposition parses strictly (no family split, no duplicate series) and is what docs/metrics.md lists.
    const families = parsePrometheusText(metrics.text);
    expect(differencesFromDoc(families, ['proxy', 'proxy (with Redis)', 'proxy primary'], { ignoreLabels: ['worker'] })).toEqual([]);
    const primaryOwn = new Set(['graylane_proxy_workers', 'graylane_proxy_worker_restarts_total']);
    for (const family of families.values()) {
      for (const sample of family.samples) expect(sample.labels.worker === undefined, `${sample.name} worker label`).toBe(primaryOwn.has(family.name));
    }

    // Heartbeats: one proxy per worker, each with the version, never the primary's own id.
    const names = workerIds.map((id) => `${proxy.proxyId}-w${id}`).sort();
    await eventually('a heartbeat from each worker at the new version', 10_000, async () => {
      const current = new Set(heartbeats.filter((beat) => beat.proxyId.startsWith(proxy.proxyId) && beat.configVersion === version).map((beat) => beat.proxyId));
      return current.size === 2 ? true : undefined;
    });
    const fromThisProxy = new Set(heartbeats.filter((beat) => beat.proxyId.startsWith(proxy.proxyId)).map((beat) => beat.proxyId));
    expect([...fromThisProxy].sort()).toEqual(names);

    // Other admin routes reach a worker through the primary: explain answers as a single proxy does.
    const explained = await get(`${proxy.adminUrl}/_graylane/explain?path=/cart&header=x-user-id:u1`);
    expect(explained.status).toBe(200);
    expect(JSON.parse(explained.body)).toMatchObject({ configVersion: version, rollout: 'shop', side: 'canary' });
    const sessions = await get(`${proxy.adminUrl}/_graylane/sessions`);
    expect(sessions.status).toBe(200);
    expect(typeof (JSON.parse(sessions.body) as { redisLookups?: unknown }).redisLookups).toBe('number');

    // Metric batches: per worker, distinct ids, and together exactly the requests sent.
    const counted = await eventually('metric batches cover every request', 10_000, async () => {
      const mine = batches.filter((batch) => batch.proxyId.startsWith(proxy.proxyId) && batch.configVersion === version);
      const total = mine.flatMap((batch) => batch.series).reduce((sum, series) => sum + series.count, 0);
      return total >= sent ? mine : undefined;
    });
    expect(counted.flatMap((batch) => batch.series).reduce((sum, series) => sum + series.count, 0)).toBe(sent);
    expect(new Set(counted.map((batch) => batch.proxyId)).size).toBe(2);
    expect(new Set(counted.map((batch) => batch.batchId)).size).toBe(counted.length);
  });

  it('keeps serving on the other worker when one is killed under load, and replaces it', async () => {
    const before = await readiness(proxy);
    const victim = before.workers[0] as WorkerState;
    const concurrency = 16;
    const load = startLoad(`${proxy.url}/cart`, concurrency);
    await sleep(1500);
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    await sleep(2500);
    const report = await load.stop();
    console.log(
      `worker killed under load: ${report.total} requests, ${report.failures.length} failed (${[...new Set(report.failures.map((f) => f.what))].join('; ')})`,
    );
    expect(report.total).toBeGreaterThan(200);
    // Only requests on the killed worker's connections can fail: each of the 16 clients has at
    // most one request in flight, and a keep-alive socket to the dead worker fails at most once
    // more (ECONNRESET) before the client notices its close, so at most 2 per client.
    expect(report.failures.length).toBeLessThanOrEqual(2 * concurrency);
    expect(report.failures.filter((f) => f.at > killedAt + 1000)).toEqual([]);

    const replaced = await eventually('the dead worker is replaced', 30_000, async () => {
      const seen = await readiness(proxy);
      return seen.workers.length === 2 && seen.workers.every((worker) => worker.ready && worker.pid !== victim.pid) ? seen : undefined;
    });
    // A replacement gets a new worker id, so its proxyId and metric batch ids never repeat the dead one's.
    expect(replaced.workers.map((worker) => worker.id)).not.toContain(victim.id);
    expect(replaced.configVersion).toBe(before.configVersion);
    const metrics = (await get(`${proxy.adminUrl}/metrics`)).body;
    expect(metrics).toContain('graylane_proxy_worker_restarts_total 1');
  });
});

describe('SIGTERM to a proxy with 2 workers', () => {
  it('drains both workers with no request lost, then the primary exits', async () => {
    const proxy = await startProxy('proxy-drain');
    onTestFinished(() => proxy.process.stop());
    const slow = 1500;
    // 16 requests on their own connections, spread over both workers, each answered after 1.5 s.
    const inFlight = Array.from({ length: 16 }, (_, i) =>
      get(`${proxy.url}/slow?delay=${slow}`, { 'x-user-id': `d${i}`, connection: 'close' }).then(
        (seen) => seen.status,
        (error: unknown) => (error as Error).message,
      ),
    );
    // Every request is in flight, and on both workers, before the signal.
    await eventually('all 16 requests in flight, on both workers', 5000, async () => {
      const sums = samplesByWorker((await get(`${proxy.adminUrl}/metrics`)).body, 'graylane_proxy_in_flight_requests');
      const total = [...sums.values()].reduce((a, b) => a + b, 0);
      return sums.size === 2 && total === 16 && [...sums.values()].every((count) => count > 0) ? sums : undefined;
    });
    const exited = new Promise<number | null>((resolve) => proxy.process.child.once('exit', (code) => resolve(code)));
    proxy.process.child.kill('SIGTERM');
    // While draining the proxy tells its load balancer to stop sending.
    const draining = await eventually('readyz says draining', 1000, async () => {
      const seen = await get(`${proxy.adminUrl}/readyz`);
      return seen.status === 503 ? seen : undefined;
    });
    expect((JSON.parse(draining.body) as Readiness).draining).toBe(true);

    expect(await Promise.all(inFlight)).toEqual(Array.from({ length: 16 }, () => 200));
    expect(await exited).toBe(0);
  });
});
