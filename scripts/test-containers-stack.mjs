// Part of `pnpm test:containers` (scripts/test-containers.sh): runs graylane's services from the
// built image in podman containers and walks the README journey through them: apply, traffic,
// report, weight, rollback (abort). The servers are this machine's own (nats-server closed with
// the shipped permissions, redis-server, clickhouse-server), started by @graylane/testkit, because
// the server images of infra/compose cannot be pulled here. Containers use the host network, run
// read-only with a /tmp tmpfs, as the image's user.
// Usage: node scripts/test-containers-stack.mjs IMAGE WORKDIR
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startClickHouse, startClosedNats, startRedis, waitForHttp } from '../packages/testkit/dist/index.js';

const [image, work] = process.argv.slice(2);
if (!image || !work) throw new Error('usage: test-containers-stack.mjs IMAGE WORKDIR');
const podman = ['--runtime', 'runc', '--cgroup-manager=cgroupfs'];
const limits = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=1000:1000'];
const names = [];
const log = (line) => console.log(`[stack] ${line}`);

function run(name, env, command) {
  const args = ['run', '-d', '--name', name, '--network', 'host', '--read-only', '--tmpfs', '/tmp', ...limits];
  for (const [key, value] of Object.entries(env)) args.push('-e', `${key}=${value}`);
  execFileSync('podman', [...podman, ...args, image, ...command], { stdio: ['ignore', 'ignore', 'inherit'] });
  names.push(name);
}

function cli(env, args, mounts = []) {
  const flags = ['run', '--rm', '--network', 'host', '--read-only', '--tmpfs', '/tmp', ...limits];
  for (const [key, value] of Object.entries(env)) flags.push('-e', `${key}=${value}`);
  for (const mount of mounts) flags.push('-v', mount);
  const result = spawnSync('podman', [...podman, ...flags, image, 'node', 'packages/cli/dist/main.js', ...args], { encoding: 'utf8' });
  log(`graylane ${args.join(' ')} → exit ${result.status}\n${result.stdout}${result.stderr}`);
  if (result.status !== 0) throw new Error(`graylane ${args.join(' ')} failed`);
  return result.stdout;
}

// Fresh user ids per phase: a user's session binding would keep it on the version it first got.
async function versions(url, count, phase) {
  const seen = { v1: 0, v2: 0, other: 0 };
  for (let i = 0; i < count; i++) {
    const response = await fetch(url, { headers: { 'x-user-id': `${phase}-user-${i}` } });
    await response.arrayBuffer();
    const version = response.headers.get('x-demo-version');
    seen[version === 'v1' || version === 'v2' ? version : 'other']++;
  }
  return seen;
}

const servers = [];
try {
  const nats = await startClosedNats({ operators: ['operator'] });
  servers.push(nats);
  const redis = await startRedis();
  servers.push(redis);
  const clickhouse = await startClickHouse();
  servers.push(clickhouse);
  log(`servers: ${nats.url}, ${redis.url}, ${clickhouse.url}`);
  const { services, operators } = nats.credentials;
  const ports = { config: await freePort(), analytics: await freePort(), proxy: await freePort(), admin: await freePort(), v1: await freePort(), v2: await freePort() };
  const token = 'containers0test0config0token0000';
  const common = { GRAYLANE_NATS_URL: nats.url, LOG_LEVEL: 'warn' };

  run('gl-config', { ...common, PORT: ports.config, GRAYLANE_NATS_USER: services.config.user, GRAYLANE_NATS_PASSWORD: services.config.password, GRAYLANE_CONFIG_TOKENS: `operator:${token}` }, ['node', 'services/config/dist/main.js']);
  run('gl-analytics', { ...common, PORT: ports.analytics, GRAYLANE_CLICKHOUSE_URL: clickhouse.url, GRAYLANE_NATS_USER: services.analytics.user, GRAYLANE_NATS_PASSWORD: services.analytics.password, GRAYLANE_ANALYTICS_TOKEN: 'containers0test0analytics0token0' }, ['node', 'services/analytics/dist/main.js']);
  run('gl-proxy', { ...common, PORT: ports.proxy, ADMIN_PORT: ports.admin, GRAYLANE_REDIS_URL: redis.url, GRAYLANE_NATS_USER: services.proxy.user, GRAYLANE_NATS_PASSWORD: services.proxy.password, GRAYLANE_ADMIN_TOKEN: 'containers0test0admin0token00000', GRAYLANE_PROXY_WORKERS: '1' }, ['node', 'services/proxy/dist/main.js']);
  for (const version of ['v1', 'v2']) run(`gl-backend-${version}`, { PORT: ports[version], DEMO_VERSION: version, DEMO_LATENCY_MS: '2' }, ['node', 'packages/demo/dist/backend-main.js']);

  await waitForHttp(`http://127.0.0.1:${ports.config}/readyz`, 60_000);
  await waitForHttp(`http://127.0.0.1:${ports.analytics}/readyz`, 60_000);
  await waitForHttp(`http://127.0.0.1:${ports.admin}/healthz`, 60_000);
  log('config, analytics ready; proxy alive');
  const health = spawnSync('podman', [...podman, 'healthcheck', 'run', 'gl-proxy'], { encoding: 'utf8' });
  log(`podman healthcheck run gl-proxy (the image's HEALTHCHECK) → exit ${health.status}`);
  if (health.status !== 0) throw new Error('the image HEALTHCHECK failed on a live proxy');

  const operator = { GRAYLANE_NATS_URL: nats.url, GRAYLANE_NATS_USER: 'operator', GRAYLANE_NATS_PASSWORD: operators.operator.password, GRAYLANE_HOME: '/tmp/graylane', USER: 'operator' };
  const spec = join(work, 'rollout.yaml');
  writeFileSync(spec, [
    'apiVersion: graylane.dev/v1', 'kind: Rollout', 'metadata: { name: demo }', 'spec:', '  match: { pathPrefix: / }',
    `  stable: { name: v1, upstreams: ["http://127.0.0.1:${ports.v1}"] }`, `  canary: { name: v2, upstreams: ["http://127.0.0.1:${ports.v2}"] }`,
    '  responseHeaders: true', '  traffic: { weight: 30, stickyKey: ["header:x-user-id"] }', '',
  ].join('\n'));
  cli(operator, ['apply', '-f', '/spec/rollout.yaml'], [`${spec}:/spec/rollout.yaml:ro`]);
  await waitForHttp(`http://127.0.0.1:${ports.admin}/readyz`, 60_000);
  const proxyUrl = `http://127.0.0.1:${ports.proxy}/`;
  const at30 = await versions(proxyUrl, 400, 'w30');
  log(`weight 30: ${JSON.stringify(at30)}`);
  if (at30.v1 === 0 || at30.v2 === 0 || at30.other > 0 || at30.v2 > 200) throw new Error('weight 30 did not split traffic');

  await sleep(3000);
  const report = cli(operator, ['report', 'demo', '--since', '5m']);
  if (!/v2/.test(report)) throw new Error('the report names no canary');

  cli(operator, ['weight', 'demo', '100']);
  await sleep(1500);
  const at100 = await versions(proxyUrl, 100, 'w100');
  log(`weight 100: ${JSON.stringify(at100)}`);
  if (at100.v2 !== 100) throw new Error('weight 100 did not send everyone to v2');

  cli(operator, ['abort', 'demo']);
  await sleep(1500);
  const rolledBack = await versions(proxyUrl, 100, 'abort');
  log(`after abort (rollback): ${JSON.stringify(rolledBack)}`);
  if (rolledBack.v1 !== 100) throw new Error('abort did not send everyone back to v1');

  const started = Date.now();
  execFileSync('podman', [...podman, 'stop', '-t', '30', 'gl-proxy']);
  const exit = execFileSync('podman', [...podman, 'inspect', '-f', '{{.State.ExitCode}}', 'gl-proxy'], { encoding: 'utf8' }).trim();
  log(`podman stop gl-proxy (SIGTERM): stopped in ${Date.now() - started} ms, exit code ${exit}`);
  if (exit !== '0') throw new Error(`the proxy exited with ${exit} on SIGTERM`);
  log('journey passed');
} finally {
  for (const name of names) {
    const logs = spawnSync('podman', [...podman, 'logs', '--tail', '5', name], { encoding: 'utf8' });
    if (process.exitCode) log(`${name} last lines:\n${logs.stdout}${logs.stderr}`);
    spawnSync('podman', [...podman, 'rm', '-f', name]);
  }
  for (const server of servers) await server.stop();
}
