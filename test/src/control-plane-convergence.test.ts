// Versioned config through the real stack: a config service, several proxy processes and the
// CLI on one real NATS. Proxies that start late or stall catch up, --wait and activateAt work,
// history and rollback-config restore, and bad input over HTTP changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandReplyV1, HistoryEntryV1 } from '@graylane/contracts';
import { eventually, freePort, NO_UPSTREAMS, rolloutManifest, serviceLogs, startNats, startService, untilOk, type RolloutManifest, type RunningServer, type ServiceProcess } from '@graylane/testkit';
import { get } from './support/http.js';
import { runGraylane } from './support/processes.js';

const TOKEN = 'e2e-config-token-0123456789abcdef';
let nats: RunningServer;
const services: ServiceProcess[] = [];
let env: Record<string, string>;
let configUrl: string;

interface Proxy {
  process: ServiceProcess;
  adminUrl: string;
}

function spec(name: string, pathPrefix: string, weight: number): RolloutManifest {
  return rolloutManifest({ name, pathPrefix, weight, ...NO_UPSTREAMS });
}

/** `base` with its canary pool replaced. */
function withCanary(base: RolloutManifest, name: string, upstream: string): RolloutManifest {
  return { ...base, spec: { ...base.spec, canary: { name, upstreams: [upstream] } } };
}

async function startProxy(id: string): Promise<Proxy> {
  const [port, adminPort] = await Promise.all([freePort(), freePort()]);
  const process = startService(`proxy-${id}`, 'services/proxy/dist/main.js', {
    ...env,
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    GRAYLANE_PROXY_ID: id,
  });
  services.push(process);
  return { process, adminUrl: `http://127.0.0.1:${adminPort}` };
}

async function versionOf(proxy: Proxy): Promise<number> {
  const ready = await get(`${proxy.adminUrl}/readyz`);
  return (JSON.parse(ready.body) as { configVersion: number }).configVersion;
}

async function command(verb: string, body: unknown, token: string | null = TOKEN, raw?: string): Promise<{ status: number; reply: CommandReplyV1 }> {
  const response = await fetch(`${configUrl}/api/v1/commands/${verb}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: raw ?? JSON.stringify(body),
  });
  return { status: response.status, reply: (await response.json()) as CommandReplyV1 };
}

async function write(verb: string, body: unknown): Promise<number> {
  const { reply } = await command(verb, body);
  if (!reply.ok) throw new Error(`${verb} failed: ${reply.error.message}`);
  return reply.version;
}

function logs(): string {
  return serviceLogs(services);
}

beforeAll(async () => {
  nats = await startNats();
  env = { GRAYLANE_NATS_URL: nats.url };
  const configPort = await freePort();
  configUrl = `http://127.0.0.1:${configPort}`;
  services.push(startService('config', 'services/config/dist/main.js', { ...env, PORT: String(configPort), GRAYLANE_CONFIG_TOKEN: TOKEN }));
  await untilOk('config ready', `${configUrl}/readyz`, undefined, services);
});

afterAll(async () => {
  for (const s of services) s.child.kill('SIGCONT');
  await Promise.all(services.map((s) => s.stop()));
  await nats?.stop();
});

describe('config convergence across proxies', () => {
  let early: Proxy;
  let late: Proxy;
  let latest = 0;

  it('gives a proxy started after ten changes the latest version, and --wait waits for both', async () => {
    early = await startProxy('early');
    latest = await write('apply', { spec: spec('checkout', '/checkout', 1) });
    for (let weight = 2; weight <= 10; weight += 1) latest = await write('weight', { name: 'checkout', weight, actor: 'e2e' });
    await eventually('early proxy at the latest version', 10_000, async () => ((await versionOf(early)) === latest ? true : undefined));

    late = await startProxy('late');
    await eventually('late proxy at the latest version', 20_000, async () => ((await versionOf(late)) === latest ? true : undefined)).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${logs()}`);
      },
    );
    await eventually('config hears both proxies', 10_000, async () => {
      const run = await runGraylane(['proxies', '--json'], env);
      const reply = JSON.parse(run.stdout) as Extract<CommandReplyV1, { ok: true }>;
      return reply.proxies?.length === 2 ? true : undefined;
    });

    const waited = await runGraylane(['weight', 'checkout', '11', '--wait', '--reason', 'wait test'], env);
    expect(waited.stderr, logs()).toBe('');
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/all 2 live proxies run config version \d+ or newer/);
    // Versions are KV revisions: monotonic, but not contiguous (the step lease shares the bucket).
    latest = Number(/at config version (\d+)/.exec(waited.stdout)?.[1]);
    expect(latest).toBeGreaterThan(0);
    // --wait returned only once both proxies reported the new version, so both serve it now.
    expect(await Promise.all([versionOf(early), versionOf(late)])).toEqual([latest, latest]);
  });

  it('catches up a proxy that was stalled during five changes, without going backwards', async () => {
    early.process.child.kill('SIGSTOP');
    for (let weight = 20; weight < 25; weight += 1) latest = await write('weight', { name: 'checkout', weight });
    expect(await versionOf(late)).toBeLessThanOrEqual(latest);
    early.process.child.kill('SIGCONT');
    await eventually('stalled proxy catches up', 15_000, async () => ((await versionOf(early)) === latest ? true : undefined));
    const stillLatest = await versionOf(early);
    expect(stillLatest).toBe(latest);
  });

  it('switches every proxy at the activateAt instant, not before', async () => {
    const activateAt = new Date(Date.now() + 1500);
    latest = await write('weight', { name: 'checkout', weight: 30, activateAt: activateAt.toISOString() });
    const switchedAt: Record<string, number> = {};
    await eventually('both proxies switch', 10_000, async () => {
      for (const [name, proxy] of [['early', early], ['late', late]] as const) {
        if (switchedAt[name] === undefined && (await versionOf(proxy)) === latest) switchedAt[name] = Date.now();
      }
      return Object.keys(switchedAt).length === 2 ? true : undefined;
    });
    const times = Object.values(switchedAt);
    console.log(`activateAt ${activateAt.toISOString()}: proxies switched ${times.map((t) => t - activateAt.getTime()).join(' ms, ')} ms after it`);
    for (const t of times) expect(t).toBeGreaterThanOrEqual(activateAt.getTime() - 50);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(500);
  });

  it('shows who changed what, when and why, and restores an earlier version', async () => {
    const run = await runGraylane(['history', 'checkout', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const history = (JSON.parse(run.stdout) as { history: HistoryEntryV1[] }).history;
    const waitChange = history.find((h) => h.reason === 'wait test');
    expect(waitChange).toMatchObject({ command: 'weight', changes: [{ path: '/spec/traffic/weight', from: 10, to: 11 }] });
    const table = await runGraylane(['history', 'checkout'], env);
    expect(table.stdout).toMatch(/\/spec\/traffic\/weight: 10 -> 11/);

    const first = Math.min(...history.map((h) => h.version));
    const restored = await runGraylane(['rollback-config', 'checkout', '--to', String(first), '--wait'], env);
    expect(restored.code, restored.stderr).toBe(0);
    const got = await runGraylane(['get', 'checkout', '--json'], env);
    expect(JSON.parse(got.stdout)).toMatchObject({ rollouts: [{ spec: { traffic: { weight: 1 } }, command: 'rollback-config' }] });
    latest = (JSON.parse(got.stdout) as { version: number }).version;
  });

  it('answers bad input on the HTTP API with a typed error and leaves the config unchanged', async () => {
    await write('apply', { spec: spec('search', '/search', 5) });
    const before = (await command('list', {})).reply;
    if (!before.ok) throw new Error('list failed');

    const cases: Array<[string, unknown, string | null, string | undefined, number, string, RegExp]> = [
      ['no token', { name: 'checkout', weight: 5 }, null, undefined, 401, 'GRAYLANE_UNAUTHORIZED', /Authorization: Bearer/],
      ['wrong token', { name: 'checkout', weight: 5 }, `${TOKEN}x`, undefined, 401, 'GRAYLANE_UNAUTHORIZED', /the one given is wrong/],
      ['deep JSON', undefined, TOKEN, `{"name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 400, 'GRAYLANE_BAD_JSON', /deeper than 64/],
      ['huge body', undefined, TOKEN, `{"name":"${'x'.repeat(2 * 1024 * 1024)}"}`, 413, 'GRAYLANE_PAYLOAD_TOO_LARGE', /larger than/],
      ['impossible activateAt', { name: 'checkout', weight: 5, activateAt: '2026-02-30T12:00:00Z' }, TOKEN, undefined, 400, 'GRAYLANE_VALIDATION', /activateAt/],
      ['malformed JSON', undefined, TOKEN, '{"name": "checkout", "weight": ', 400, 'GRAYLANE_BAD_JSON', /JSON/i],
      ['unknown verb', {}, TOKEN, undefined, 404, 'GRAYLANE_UNKNOWN_COMMAND', /unknown command "launch"/],
      ['stale version', { name: 'checkout', weight: 5, expectedVersion: 1 }, TOKEN, undefined, 409, 'GRAYLANE_VERSION_CONFLICT', /not the expected 1/],
      ['weight 12.345', { name: 'checkout', weight: 12.345 }, TOKEN, undefined, 400, 'GRAYLANE_VALIDATION', /12\.345/],
      ['same host and path', { spec: spec('shadow', '/search', 5) }, TOKEN, undefined, 409, 'GRAYLANE_CONFLICT', /search/],
      ['invalid spec', { spec: { ...spec('x', '/x', 5), kind: 'Deployment' } }, TOKEN, undefined, 400, 'GRAYLANE_VALIDATION', /\/spec\/kind/],
      ['bad upstream', { spec: withCanary(spec('y', '/y', 5), 'v2', 'http://127.0.0.1:99999') }, TOKEN, undefined, 400, 'GRAYLANE_VALIDATION', /invalid upstream/],
      ['emoji pool name', { spec: withCanary(spec('z', '/z', 5), 'v2-\u{1F680}', 'http://127.0.0.1:9002') }, TOKEN, undefined, 400, 'GRAYLANE_VALIDATION', /invalid pool name/],
    ];
    for (const [label, body, token, raw, status, code, message] of cases) {
      const verb = label === 'unknown verb' ? 'launch' : body !== undefined && typeof body === 'object' && body !== null && 'spec' in body ? 'apply' : 'weight';
      const { status: got, reply } = await command(verb, body, token, raw);
      expect(got, label).toBe(status);
      expect(reply.ok, label).toBe(false);
      if (reply.ok) continue;
      expect(reply.error.code, label).toBe(code);
      expect(reply.error.message, label).toMatch(message);
    }
    const after = (await command('list', {})).reply;
    expect(after).toEqual(before);
  });
});
