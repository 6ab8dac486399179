import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { GraylaneError } from '@graylane/contracts';
import type { Env } from '@graylane/runtime';
import { findBinary } from '../process/binaries.js';
import { waitForHttp, waitForTcp } from '../process/ports.js';
import type { DetachedSpec } from '../process/processes.js';
import { waitUntilReady } from '../process/readiness.js';
import { writeServerFiles } from '../process/spawn.js';
import { aptInstall, canAptInstall, SERVER_PACKAGES } from '../servers/apt-install.js';
import { clickHouseServerCommand, natsServerCommand, redisServerCommand, type ServerCommand } from '../servers/commands.js';
import { applyRollout, type ApplyRollout } from './apply-rollout.js';
import { demoRolloutSpec } from './demo-spec.js';
import type { Launcher } from './launcher.js';
import type { StackPorts } from './ports.js';
import { entryPoints } from './repo.js';
import { CREDENTIAL_VARIABLES, operatorAuth, serviceSecretsEnv, type StackSecrets } from './secrets.js';
import type { StackProcess } from './state.js';

const SERVER_READY_MS = 30_000;
const CLICKHOUSE_READY_MS = 90_000;
const SERVICE_READY_MS = 60_000;
const TRAFFIC_RATE = 50;

/** What a local stack needs to know to start. */
export interface LocalStackPlan {
  env: Env;
  home: string;
  root: string;
  ports: StackPorts;
  traffic: boolean;
  /** The generated secrets: NATS starts closed, each service gets only its own. */
  secrets: StackSecrets;
  /** Sends the demo rollout to the config service. */
  apply: ApplyRollout;
}

/**
 * Starts NATS, Redis and ClickHouse from local binaries, then config, analytics, two demo
 * backends, the demo rollout, the proxy and (unless told not to) demo traffic, each one ready
 * before the next starts.
 */
export async function startLocalStack(launcher: Launcher, plan: LocalStackPlan): Promise<void> {
  const { home, ports } = plan;
  const data = (name: string): string => join(home, 'data', name);
  const log = (name: string): string => join(home, 'logs', `${name}.log`);
  await ensureServerBinaries(launcher.progress);

  const natsCommand = natsServerCommand({ port: ports.nats, dir: data('nats'), jetstream: true, authorization: plan.secrets.natsAuthorization });
  await startServer(launcher, plan, 'nats-server', ports.nats, natsCommand, data('nats'), (t) => waitForTcp(ports.nats, t));
  await startServer(launcher, plan, 'redis-server', ports.redis, redisServerCommand({ port: ports.redis, dir: data('redis') }), data('redis'), (t) =>
    waitForTcp(ports.redis, t),
  );
  await startServer(
    launcher,
    plan,
    'clickhouse-server',
    ports.clickhouseHttp,
    clickHouseServerCommand({ httpPort: ports.clickhouseHttp, tcpPort: ports.clickhouseTcp, dir: data('clickhouse') }),
    data('clickhouse'),
    (t) => waitForHttp(`http://127.0.0.1:${ports.clickhouseHttp}/ping`, t),
    CLICKHOUSE_READY_MS,
  );
  const { state } = launcher;
  const entry = entryPoints(plan.root);
  // No process inherits credentials from the user's shell; services get their own below.
  const inherited = Object.fromEntries(Object.entries(plan.env).filter(([name]) => !(CREDENTIAL_VARIABLES as readonly string[]).includes(name)));
  const shared = {
    ...inherited,
    GRAYLANE_NATS_URL: state.natsUrl,
    GRAYLANE_REDIS_URL: state.redisUrl,
    GRAYLANE_CLICKHOUSE_URL: state.clickhouseUrl,
  };
  const node = (name: string, file: string, env: Record<string, string>): DetachedSpec => ({
    name,
    bin: process.execPath,
    args: [file],
    env: { ...shared, ...env },
    log: log(name),
    cwd: plan.root,
    tier: 'app',
  });

  for (const service of ['config', 'analytics'] as const) {
    await launcher.step(`starting ${service} on ${ports[service]}`, async () => {
      const started = launcher.start(node(service, entry[service], { PORT: String(ports[service]), ...serviceSecretsEnv(plan.secrets, service) }));
      await waitUntilReady(started, 'GET /readyz', (t) => waitForHttp(`http://127.0.0.1:${ports[service]}/readyz`, t), SERVICE_READY_MS);
    });
  }

  const backends = [
    { name: 'backend-v1', version: 'v1', port: ports.backendV1 },
    { name: 'backend-v2', version: 'v2', port: ports.backendV2 },
  ];
  for (const backend of backends) {
    await launcher.step(`starting demo backend ${backend.version} on ${backend.port}`, async () => {
      const started = launcher.start(node(backend.name, entry.backend, { PORT: String(backend.port), DEMO_VERSION: backend.version }));
      await waitUntilReady(started, 'GET /_demo/settings', (t) => waitForHttp(`http://127.0.0.1:${backend.port}/_demo/settings`, t), SERVICE_READY_MS);
    });
  }

  // The proxy reports ready only once it holds a config, so the rollout goes in first.
  const spec = demoRolloutSpec(`http://127.0.0.1:${ports.backendV1}`, `http://127.0.0.1:${ports.backendV2}`);
  await applyRollout(launcher, plan.apply, home, state.natsUrl, spec, operatorAuth(state.secrets));

  await launcher.step(`starting proxy on ${ports.proxy} (admin ${ports.proxyAdmin})`, async () => {
    const started = launcher.start(
      node('proxy', entry.proxy, { PORT: String(ports.proxy), ADMIN_PORT: String(ports.proxyAdmin), ...serviceSecretsEnv(plan.secrets, 'proxy') }),
    );
    await waitUntilReady(started, 'GET /readyz on the admin port', (t) => waitForHttp(`http://127.0.0.1:${ports.proxyAdmin}/readyz`, t), SERVICE_READY_MS);
  });

  if (!plan.traffic) return;
  await launcher.step(`starting demo traffic at ${TRAFFIC_RATE} req/s to the proxy`, async () => {
    const started = launcher.start(
      node('traffic', entry.traffic, {
        TRAFFIC_URL: `http://127.0.0.1:${ports.proxy}/`,
        TRAFFIC_RATE: String(TRAFFIC_RATE),
        TRAFFIC_USERS: '1000',
      }),
    );
    // Traffic has no readiness endpoint; surviving its first second is what can be checked.
    await waitUntilReady(started, 'running for a second', () => new Promise((resolve) => setTimeout(resolve, 1000)), 5000);
  });
}

/**
 * Starts one server and waits for its port. The server writes its own log in its data folder
 * (its server command decides where); a link to it goes into the logs folder beside everything else,
 * and the server's console output goes to `<name>.console.log` there.
 */
async function startServer(
  launcher: Launcher,
  plan: LocalStackPlan,
  name: string,
  port: number,
  command: ServerCommand,
  dataDir: string,
  ready: (timeoutMs: number) => Promise<unknown>,
  timeoutMs = SERVER_READY_MS,
): Promise<StackProcess> {
  const logs = join(plan.home, 'logs');
  return launcher.step(`starting ${name} on ${port}`, async () => {
    mkdirSync(dataDir, { recursive: true });
    writeServerFiles(command.files);
    const started = launcher.start({
      name,
      bin: command.bin,
      args: command.args,
      env: plan.env,
      log: join(logs, `${name}.console.log`),
      tier: 'infra',
    });
    await waitUntilReady(started, `port ${port}`, ready, timeoutMs, () => serverLogs(dataDir));
    const own = linkLogs(serverLogs(dataDir), logs).find((link) => basename(link) === `${name}.log`);
    if (own !== undefined) launcher.update(started, { log: own });
    return started;
  });
}

/** The log files a server keeps in its data folder. */
function serverLogs(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => join(dataDir, file));
}

/** Links each log into the logs folder under its own name (relative, so the home can move); returns the links. */
function linkLogs(files: string[], logs: string): string[] {
  return files.map((file) => {
    const link = join(logs, basename(file));
    rmSync(link, { force: true });
    symlinkSync(relative(logs, file), link);
    return link;
  });
}

/**
 * Makes sure nats-server, redis-server and clickhouse-server are installed: installs them with
 * apt-get when we are root on Debian or Ubuntu, and otherwise says what to install.
 */
export async function ensureServerBinaries(progress: (line: string) => void): Promise<void> {
  const missing = SERVER_PACKAGES.filter((name) => !hasBinary(name));
  if (missing.length === 0) return;
  if (!canAptInstall()) {
    throw new GraylaneError(
      'GRAYLANE_UNAVAILABLE',
      `${missing.join(', ')} not found and no Docker engine answers; install them (Debian/Ubuntu: sudo apt-get install ${SERVER_PACKAGES.join(' ')}) ` +
        'or start Docker, then run graylane up again',
    );
  }
  progress(`${missing.join(', ')} not found; installing ${SERVER_PACKAGES.join(' ')} with apt-get`);
  await aptInstall(SERVER_PACKAGES, progress);
  const still = SERVER_PACKAGES.filter((name) => !hasBinary(name));
  if (still.length > 0) {
    throw new GraylaneError('GRAYLANE_UNAVAILABLE', `apt-get finished but ${still.join(', ')} is still not found`);
  }
}

function hasBinary(name: string): boolean {
  try {
    findBinary(name);
    return true;
  } catch {
    return false;
  }
}
