import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryPoints, groupMembers, isAlive, readState, repoRoot, statePath, type StackProcess } from '@graylane/stack';
import { runCli } from '../cli.js';
import type { Output } from '../output.js';

// The real `graylane up --no-traffic`, `status` and `down` on real nats-server, redis-server and
// clickhouse-server, in a temporary GRAYLANE_HOME with every port chosen by the OS (the usual
// ones may well be taken by another stack on this machine).

interface Run {
  code: number;
  stdout: string[];
  stderr: string[];
}

async function graylane(env: Record<string, string | undefined>, ...argv: string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const output: Output = { out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
  const code = await runCli(argv, env, output);
  return { code, stdout, stderr };
}

function json<T>(run: Run): T {
  return JSON.parse(run.stdout.join('\n')) as T;
}

const root = repoRoot();

describe('graylane up, status and down', () => {
  let home: string;
  let env: Record<string, string | undefined>;
  let busy: Server;
  let busyPort: number;
  let recorded: StackProcess[] = [];

  beforeAll(async () => {
    const missing = Object.values(entryPoints(root)).filter((file) => !existsSync(file));
    if (missing.length > 0) {
      throw new Error(`build the repository first (pnpm turbo run build in ${root}); missing ${missing.map((f) => relative(root, f)).join(', ')}`);
    }
    home = mkdtempSync(join(tmpdir(), 'graylane-up-'));
    // One port the stack is told to use is taken, as 8080 often is: up must move it and say so.
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
    busyPort = (busy.address() as { port: number }).port;
    env = {
      ...process.env,
      GRAYLANE_HOME: home,
      GRAYLANE_UP_MODE: 'local',
      GRAYLANE_UP_BASE_PORT: '0',
      GRAYLANE_UP_PROXY_PORT: String(busyPort),
      GRAYLANE_NATS_URL: undefined,
      LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    // Whatever happened above, leave nothing running.
    if (env !== undefined && readState(env) !== undefined) await graylane(env, 'down');
    await new Promise<void>((resolve) => (busy === undefined ? resolve() : busy.close(() => resolve())));
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  });

  it('brings the stack up, reports it, serves traffic through the demo rollout, and stops every process', async () => {
    const started = await graylane(env, 'up', '--no-traffic', '--json');
    expect(started.code, started.stderr.join('\n')).toBe(0);
    const result = json<{ ok: boolean; status: string; ports: Record<string, number>; state: { processes: StackProcess[]; endpoints: Record<string, string> } }>(started);
    expect(result.status).toBe('started');
    recorded = result.state.processes;
    expect(recorded.map((p) => p.name)).toEqual(['nats-server', 'redis-server', 'clickhouse-server', 'config', 'analytics', 'backend-v1', 'backend-v2', 'proxy']);
    expect(recorded.every((p) => isAlive(p))).toBe(true);
    expect(result.ports.proxy).not.toBe(busyPort);
    expect(started.stderr.join('\n')).toContain(`port ${busyPort} (proxy) is busy; using ${result.ports.proxy} instead`);
    expect(started.stderr.join('\n')).toMatch(/starting nats-server on \d+ … ok/);
    expect(existsSync(join(home, 'demo-rollout.yaml'))).toBe(true);
    expect(existsSync(join(home, 'logs', 'proxy.log'))).toBe(true);

    // The demo rollout is live: requests reach v1 or v2 and say which.
    const answer = await fetch(result.state.endpoints.proxy ?? '', { headers: { 'x-user-id': 'alice' } });
    expect(answer.status).toBe(200);
    expect(['v1', 'v2']).toContain(((await answer.json()) as { version: string }).version);

    const again = await graylane(env, 'up', '--no-traffic');
    expect(again.code).toBe(0);
    expect(again.stdout.join('\n')).toContain('graylane is already running');
    expect(readState(env)?.processes.map((p) => p.pid)).toEqual(recorded.map((p) => p.pid));

    const status = await graylane(env, 'status', '--json');
    expect(status.code).toBe(0);
    const report = json<{ running: boolean; healthy: boolean; services: { name: string; ready: boolean }[]; proxies: { configVersion: number }[] }>(status);
    expect(report.running).toBe(true);
    expect(report.healthy).toBe(true);
    expect(report.services.map((s) => [s.name, s.ready])).toEqual([
      ['config', true],
      ['analytics', true],
      ['proxy', true],
    ]);
    // One proxy line per worker: GRAYLANE_PROXY_WORKERS defaults to one per core.
    expect(report.proxies).toHaveLength(availableParallelism());
    expect(report.proxies.every((proxy) => proxy.configVersion >= 1)).toBe(true);

    // The stack is closed: secrets 0600 in a 0700 folder, NATS refuses a client without
    // credentials, the CLI acts as the operator with no extra step, and no output shows a secret.
    const secrets = readState(env)?.secrets;
    expect(secrets?.dir).toBe(join(home, 'secrets'));
    const dir = secrets?.dir ?? '';
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const secretValues = readdirSync(dir).map((file) => {
      expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o600);
      return readFileSync(join(dir, file), 'utf8').trim().split(':').pop() ?? '';
    });
    expect(secretValues.length).toBeGreaterThanOrEqual(8);
    const stackUrl = readState(env)?.natsUrl ?? '';
    const anonymous = await graylane({ ...env, GRAYLANE_NATS_URL: stackUrl }, 'list');
    expect(anonymous.code).toBe(7);
    const moved = await graylane(env, 'weight', 'demo', '30');
    expect(moved.code, moved.stderr.join('\n')).toBe(0);
    const history = json<{ history: { actor: string }[] }>(await graylane(env, 'history', 'demo', '--json'));
    expect(history.history.map((h) => h.actor)).toEqual([secrets?.operator, secrets?.operator]);
    const configApi = result.state.endpoints.configApi ?? '';
    expect((await fetch(`${configApi}list`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const token = readFileSync(join(dir, 'config-api.token'), 'utf8').trim();
    const listed = await fetch(`${configApi}list`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    const printed = [started, status, moved, await graylane(env, 'status')].flatMap((run) => [...run.stdout, ...run.stderr]).join('\n');
    for (const secret of secretValues) expect(printed).not.toContain(secret);

    const stopped = await graylane(env, 'down');
    expect(stopped.code, stopped.stderr.join('\n')).toBe(0);
    expect(stopped.stdout.join('\n')).toContain('no process is left');
    expect(recorded.filter((p) => isAlive(p) || groupMembers(p.pid).length > 0)).toEqual([]);
    expect(existsSync(statePath(env))).toBe(false);
    expect(existsSync(join(home, 'logs', 'proxy.log'))).toBe(true);

    const twice = await graylane(env, 'down');
    expect(twice.code).toBe(0);
    expect(twice.stdout).toEqual(['nothing is running']);
    const after = await graylane(env, 'status');
    expect(after.stdout).toEqual(['graylane is not running; start it with graylane up']);
  }, 240_000);
});
