// `pnpm bench:config`: how long a config change takes from the command (a NATS request to a real
// config service) until every proxy process has applied it, for 1, 5 and 20 real proxy processes,
// 100 changes each, one after another. "Applied" is the heartbeat a proxy publishes right after
// its atomic swap, heard by this process; the clock is this process's, at both ends.
//
// Beside it, the two reference approaches as rows MODELLED, not measured: a timer that polls
// every 5 s (the nginx+Lua `ngx.timer.every` approach) or syncs every 1 s (ingress-nginx) picks a
// change up after a uniformly distributed wait, so its p50 is interval/2 and its p99 is 0.99 of
// the interval, before any apply time of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  commandSubject,
  PROXY_HEARTBEAT_SUBJECT,
  type CommandReplyV1,
  type ProxyHeartbeatV1,
  type RolloutSpecV1,
} from '@graylane/contracts';
import { connectNats, createLogger, decodeJson, encodeJson, type NatsConnection } from '@graylane/runtime';
import { freePort, NO_UPSTREAMS, rolloutManifest, startNats, waitForHttp } from '@graylane/testkit';
import { printTable, type BenchRow } from './table.js';
import { stopChild } from './stop-child.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
const FLEETS = (process.env.BENCH_PROXIES ?? '1,5,20').split(',').map(Number);
const children: ChildProcess[] = [];

function startNode(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, script)], {
    // A fleet of N proxies is N processes, each one data plane (not N primaries with a worker per core).
    env: { ...process.env, LOG_LEVEL: 'warn', GRAYLANE_PROXY_WORKERS: '1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function stopAll(): Promise<void> {
  await Promise.all(children.map(stopChild));
}

/** Latest applied version per proxy, and who is waiting for a fleet to reach a version. */
class Fleet {
  readonly versions = new Map<string, number>();
  private waiter: { version: number; size: number; resolve: (atMs: number) => void } | undefined;

  listen(nc: NatsConnection): void {
    nc.subscribe(PROXY_HEARTBEAT_SUBJECT, {
      callback: (_error, msg) => {
        const beat = decodeJson(msg.data) as ProxyHeartbeatV1;
        this.versions.set(beat.proxyId, Math.max(beat.configVersion, this.versions.get(beat.proxyId) ?? 0));
        this.check(performance.now());
      },
    });
  }

  /** Resolves with the time the `size`-th proxy reported `version` or newer. */
  reach(version: number, size: number): Promise<number> {
    return new Promise((resolve) => {
      this.waiter = { version, size, resolve };
      this.check(performance.now());
    });
  }

  private check(atMs: number): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    let done = 0;
    for (const version of this.versions.values()) if (version >= waiter.version) done += 1;
    if (done >= waiter.size) {
      this.waiter = undefined;
      waiter.resolve(atMs);
    }
  }
}

async function request(nc: NatsConnection, verb: 'apply' | 'weight', body: unknown): Promise<number> {
  const reply = decodeJson((await nc.request(commandSubject(verb), encodeJson(body), { timeout: 10_000 })).data) as CommandReplyV1;
  if (!reply.ok) throw new Error(`${verb}: ${reply.error.message}`);
  return reply.version;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const spec: RolloutSpecV1 = rolloutManifest({ name: 'bench', pathPrefix: '/', weight: 0, ...NO_UPSTREAMS });

const nats = await startNats();
try {
  const configPort = await freePort();
  startNode('services/config/dist/main.js', { GRAYLANE_NATS_URL: nats.url, PORT: String(configPort) });
  await waitForHttp(`http://127.0.0.1:${configPort}/readyz`, 30_000);
  const nc = await connectNats(nats.url, createLogger('bench', 'silent'), { name: 'bench-config', waitForServer: false });
  const fleet = new Fleet();
  fleet.listen(nc);
  let version = await request(nc, 'apply', { spec });

  const rows: BenchRow[] = [];
  let started = 0;
  for (const size of FLEETS) {
    // Grow the fleet to `size` real proxy processes and let every one apply the current version.
    for (; started < size; started += 1) {
      const [port, adminPort] = await Promise.all([freePort(), freePort()]);
      startNode('services/proxy/dist/main.js', {
        GRAYLANE_NATS_URL: nats.url,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        GRAYLANE_PROXY_ID: `bench-${started}`,
      });
    }
    await fleet.reach(version, size);
    await sleep(500);

    const took: number[] = [];
    for (let i = 0; i < CHANGES; i += 1) {
      const sentAt = performance.now();
      version = await request(nc, 'weight', { name: 'bench', weight: (i % 100) + 0.5 });
      took.push((await fleet.reach(version, size)) - sentAt);
    }
    took.sort((a, b) => a - b);
    rows.push({
      name: `graylane, ${size} proxies (measured)`,
      values: { 'p50 ms': quantile(took, 0.5), 'p99 ms': quantile(took, 0.99), 'max ms': took[took.length - 1] ?? Number.NaN },
    });
  }
  rows.push(
    { name: 'ingress-nginx 1 s sync (modelled)', values: { 'p50 ms': 500, 'p99 ms': 990, 'max ms': 1000 } },
    { name: 'nginx+Lua 5 s poll (modelled)', values: { 'p50 ms': 2500, 'p99 ms': 4950, 'max ms': 5000 } },
  );
  printTable(`config propagation: command -> applied on every proxy, ${CHANGES} changes per fleet size`, rows, {
    baseline: 'ingress-nginx 1 s sync (modelled)',
    columns: ['p50 ms', 'p99 ms', 'max ms'],
  });
  console.log(
    '\nMeasured rows: real nats-server, one real config service and N real proxy processes on this machine ' +
      '(2 shared cores, other engineers running tests: noisy; read the ratios). Reference rows are modelled ' +
      '(uniform wait within the poll interval), not measured. Goal: p99 < 50 ms for 20 proxies.',
  );
  await nc.close();
} finally {
  await stopAll();
  await nats.stop();
}
