// The whole stack for the analytics scenarios: NATS, ClickHouse, config, analytics and N proxies,
// each on free ports, plus a paced load generator. Kept apart from the slice test's setup so the
// scenarios can run more proxies and tune analytics through its environment.
import { Agent, request } from 'node:http';
import type { Server } from 'node:http';
import { freePort, proxyAtVersion, serviceLogs, startClickHouse, startNats, startService, untilOk, writeRolloutFile, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { listenOnLoopback } from './http.js';
import { runGraylane } from './processes.js';

/** A running stack; `stop()` ends every process and server it started. */
export interface AnalyticsStack {
  nats: RunningServer;
  clickhouse: RunningServer;
  env: Record<string, string>;
  proxyUrls: string[];
  proxyAdminUrls: string[];
  analyticsUrl: string;
  configUrl: string;
  services: ServiceProcess[];
  logs(): string;
  stop(): Promise<void>;
}

/** Starts the stack and waits until config and analytics are ready and the proxies listen. */
export async function startAnalyticsStack(options: {
  proxies: number;
  database: string;
  analyticsEnv?: Record<string, string>;
  configEnv?: Record<string, string>;
}): Promise<AnalyticsStack> {
  const [nats, clickhouse] = await Promise.all([startNats(), startClickHouse()]);
  const env = { GRAYLANE_NATS_URL: nats.url };
  const services: ServiceProcess[] = [];
  const [configPort, analyticsPort] = await Promise.all([freePort(), freePort()]);
  services.push(
    startService('config', 'services/config/dist/main.js', { ...env, PORT: String(configPort), ...options.configEnv }),
    startService('analytics', 'services/analytics/dist/main.js', {
      ...env,
      PORT: String(analyticsPort),
      // The dashboard relays actions here, with the operator's own token.
      GRAYLANE_CONFIG_URL: `http://127.0.0.1:${configPort}`,
      GRAYLANE_CLICKHOUSE_URL: clickhouse.url,
      GRAYLANE_CLICKHOUSE_DATABASE: options.database,
      ...options.analyticsEnv,
    }),
  );
  const proxyUrls: string[] = [];
  const proxyAdminUrls: string[] = [];
  for (let i = 0; i < options.proxies; i += 1) {
    const [port, adminPort] = [await freePort(), await freePort()];
    proxyUrls.push(`http://127.0.0.1:${port}`);
    proxyAdminUrls.push(`http://127.0.0.1:${adminPort}`);
    services.push(startService(`proxy-${i}`, 'services/proxy/dist/main.js', { ...env, PORT: String(port), ADMIN_PORT: String(adminPort) }));
  }
  const stack: AnalyticsStack = {
    nats,
    clickhouse,
    env,
    proxyUrls,
    proxyAdminUrls,
    analyticsUrl: `http://127.0.0.1:${analyticsPort}`,
    configUrl: `http://127.0.0.1:${configPort}`,
    services,
    logs: () => serviceLogs(services),
    stop: async () => {
      await Promise.all(services.map((s) => s.stop()));
      await Promise.all([nats.stop(), clickhouse.stop()]);
    },
  };
  try {
    for (const port of [configPort, analyticsPort]) {
      await untilOk(`readyz on ${port}`, `http://127.0.0.1:${port}/readyz`, 60_000, services);
    }
    for (const admin of proxyAdminUrls) {
      await untilOk(`proxy ${admin} listening`, `${admin}/healthz`, undefined, services);
    }
  } catch (error) {
    // The wait's error already carries every service's output.
    await stack.stop();
    throw error;
  }
  return stack;
}

/** A demo backend in its own process, as a real service would be; `settings` changes it live. */
export interface BackendProcess {
  url: string;
  process: ServiceProcess;
  settings(patch: Record<string, number>): Promise<void>;
}

/** Starts `packages/demo` backend `version` on a free port and waits until it answers. */
export async function startBackend(version: string, settings: Record<string, number>): Promise<BackendProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startService(`backend-${version}-${port}`, 'packages/demo/dist/backend-main.js', { PORT: String(port), DEMO_VERSION: version });
  const backend: BackendProcess = {
    url,
    process: child,
    settings: async (patch) => {
      const seen = await put(`${url}/_demo/settings`, JSON.stringify(patch));
      if (seen !== 200) throw new Error(`demo backend ${url} refused settings ${JSON.stringify(patch)}: ${seen}`);
    },
  };
  await untilOk(`backend ${url}`, `${url}/_demo/settings`, 15_000, [child]);
  await backend.settings(settings);
  return backend;
}

function put(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Listens on a free loopback port; returns the base URL. */
export async function listenLocal(server: Server): Promise<string> {
  return `http://127.0.0.1:${await listenOnLoopback(server)}`;
}

/** Applies a rollout with the CLI and waits until every proxy runs the resulting version. */
export async function applyRollout(stack: AnalyticsStack, name: string, spec: Record<string, unknown>): Promise<number> {
  const file = writeRolloutFile(name, spec);
  const applied = await runGraylane(['apply', '-f', file, '--json'], stack.env);
  if (applied.code !== 0) throw new Error(`apply ${name} failed: ${applied.stderr}\n${stack.logs()}`);
  const version = (JSON.parse(applied.stdout) as { version: number }).version;
  await proxiesAt(stack, version);
  return version;
}

/** Waits until every proxy reports config version `version` or later. */
export async function proxiesAt(stack: AnalyticsStack, version: number, timeoutMs = 15_000): Promise<void> {
  for (const admin of stack.proxyAdminUrls) await proxyAtVersion(admin, version, timeoutMs);
}

/** What a paced load saw. */
export interface LoadStats {
  sent: number;
  answered: number;
  failed: number;
  byPool: Map<string, number>;
}

/** One stream of requests: `rate` per second to `path`, spread over the proxies and users. */
export interface LoadTarget {
  path: string;
  rate: number;
}

/**
 * Sends requests at a fixed rate per target until `stop()` (each target's users rotate over
 * 10 000 ids; requests alternate between proxies). Bounded: at most `maxInFlight` at once, and
 * it stops by itself after `maxMs`.
 */
export function paceLoad(proxyUrls: readonly string[], targets: readonly LoadTarget[], maxMs: number, maxInFlight = 256): { stats: Map<string, LoadStats>; stop(): Promise<void> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const stats = new Map(targets.map((t) => [t.path, { sent: 0, answered: 0, failed: 0, byPool: new Map<string, number>() } satisfies LoadStats]));
  const started = performance.now();
  let inFlight = 0;
  let counter = 0;
  const pending = new Set<Promise<void>>();
  const tickMs = 20;
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    if (elapsed > maxMs) {
      clearInterval(timer);
      return;
    }
    for (const target of targets) {
      const own = stats.get(target.path)!;
      const due = Math.floor((elapsed / 1000) * target.rate) - own.sent;
      for (let i = 0; i < due && inFlight < maxInFlight; i += 1) {
        counter += 1;
        own.sent += 1;
        inFlight += 1;
        const url = `${proxyUrls[counter % proxyUrls.length]}${target.path}`;
        const one = send(url, `user-${counter % 10_000}`, agent)
          .then((pool) => {
            own.answered += 1;
            own.byPool.set(pool, (own.byPool.get(pool) ?? 0) + 1);
          })
          .catch(() => {
            own.failed += 1;
          })
          .finally(() => {
            inFlight -= 1;
            pending.delete(one);
          });
        pending.add(one);
      }
    }
  }, tickMs);
  return {
    stats,
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...pending]);
      agent.destroy();
    },
  };
}

function send(url: string, user: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'x-user-id': user }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(`${res.statusCode ?? 0}:${String(res.headers['x-graylane-pool'] ?? '')}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
