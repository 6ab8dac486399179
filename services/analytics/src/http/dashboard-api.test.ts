import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReportV1, RolloutRecordV1, RoutingTableV1, TableVersion, VerdictV1 } from '@graylane/contracts';
import { createLogger } from '@graylane/runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps, type DashboardDeps } from '../app.js';
import { AnalyticsMetrics } from '../self-metrics.js';
import type { SeriesV1 } from '../store/series.js';

const logger = createLogger('analytics-test', 'silent');
const apps: ReturnType<typeof buildApp>[] = [];

function record(name: string, weight: number, extra: Partial<RolloutRecordV1> = {}): RolloutRecordV1 {
  return {
    name,
    state: 'progressing',
    updatedAt: '2026-12-02T09:00:00.000Z',
    updatedBy: 'alice',
    spec: {
      match: { pathPrefix: `/${name}` },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:1'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:2'] },
      traffic: { weight },
    },
    ...extra,
  };
}

function table(...records: RolloutRecordV1[]): RoutingTableV1 {
  return { schema: 'graylane.routing-table/v1', rollouts: Object.fromEntries(records.map((r) => [r.name, r])) };
}

const REPORT: ReportV1 = {
  name: 'web',
  sinceSeconds: 60,
  generatedAt: 'now',
  pools: [
    { pool: 'stable', version: 'v1', requests: 100, errors: 1, errorRate: 0.01, p50Ms: 5, p95Ms: 9, p99Ms: 10, p999Ms: 12 },
    { pool: 'canary', version: 'v2', requests: 0, errors: 0, errorRate: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0 },
  ],
};

function app(dashboard: Partial<DashboardDeps> = {}, overrides: Partial<AppDeps> = {}): ReturnType<typeof buildApp> {
  const versions: TableVersion[] = [
    { version: 1, table: table(record('web', 5)) },
    { version: 2, table: table(record('web', 5), record('api', 1)) },
    { version: 3, table: table(record('web', 20, { updatedAt: '2026-12-02T09:05:00.000Z', updatedBy: 'bob', command: 'weight', reason: 'looks good' }), record('api', 1)) },
  ];
  const built = buildApp({
    logger,
    metrics: new AnalyticsMetrics(),
    readiness: [],
    reports: { report: async (name, sinceSeconds): Promise<ReportV1> => ({ ...REPORT, name, sinceSeconds }) },
    verdicts: { verdicts: async (): Promise<VerdictV1[]> => [] },
    rolloutNames: () => ['web', 'api'],
    dashboard: {
      series: { series: async (name, sinceSeconds, stepSeconds): Promise<SeriesV1> => ({ rollout: name, sinceSeconds, stepSeconds, generatedAt: 'now', times: [], pools: [] }) },
      table: () => ({ version: 3, table: versions[2]!.table! }),
      history: { versions: async () => versions },
      configUrl: undefined,
      ...dashboard,
    },
    ...overrides,
  });
  apps.push(built);
  return built;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('dashboard APIs', () => {
  it('give every rollout of the current table in the overview, with its side figures', async () => {
    const body = (await app().inject({ url: '/api/v1/overview' })).json<{ configVersion: number; rollouts: { name: string; weight: number; stable: unknown; canary: unknown }[] }>();
    expect(body.configVersion).toBe(3);
    expect(body.rollouts.map((r) => [r.name, r.weight])).toEqual([['api', 1], ['web', 20]]);
    expect(body.rollouts[1]?.stable).toEqual({ version: 'v1', requests: 100, errorRate: 0.01, p99Ms: 10 });
    // A side without requests has no P99 rather than a P99 of 0.
    expect(body.rollouts[1]?.canary).toEqual({ version: 'v2', requests: 0, errorRate: 0, p99Ms: null });
  });

  it('give a rollout\'s weight line and history with who, why and the diff', async () => {
    const timeline = (await app().inject({ url: '/api/v1/rollouts/web/timeline' })).json<{
      weights: { version: number; weight: number }[];
      history: { version: number; actor: string; reason?: string; changes: { path: string; from?: unknown; to?: unknown }[] }[];
    }>();
    expect(timeline.weights.map((w) => [w.version, w.weight])).toEqual([[1, 5], [3, 20]]);
    expect(timeline.history[0]).toMatchObject({ version: 3, actor: 'bob', reason: 'looks good', changes: [{ path: '/spec/traffic/weight', from: 5, to: 20 }] });
    const missing = await app().inject({ url: '/api/v1/rollouts/nope/timeline' });
    expect(missing.statusCode).toBe(404);
  });

  it('cut series into about 60 buckets by default and name a bad step', async () => {
    expect((await app().inject({ url: '/api/v1/series/web?since=1h' })).json()).toMatchObject({ sinceSeconds: 3600, stepSeconds: 60 });
    expect((await app().inject({ url: '/api/v1/series/web?since=5m&step=10s' })).json()).toMatchObject({ stepSeconds: 10 });
    for (const [query, message] of [
      ['step=2h', 'step: expected at most the window (900 s), got "2h"'],
      ['since=1h&step=1s', 'step: "1s" cuts the window into more than 1000 buckets; use a wider step'],
      ['step=soon', 'step:'],
    ]) {
      const bad = await app().inject({ url: `/api/v1/series/web?${query}` });
      expect(bad.statusCode, query).toBe(400);
      expect(bad.json<{ error: { message: string } }>().error.message, query).toContain(message);
    }
  });
});

describe('dashboard action relay', () => {
  const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let config: Server;
  let configUrl = '';

  beforeAll(async () => {
    // A stand-in for the config service's command API that answers like it does.
    config = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ url: request.url ?? '', headers: request.headers, body });
        const ok = request.headers.authorization === 'Bearer good-token-0123456789';
        response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        response.end(JSON.stringify(ok ? { ok: true, version: 9, rollouts: [] } : { ok: false, error: { code: 'GRAYLANE_UNAUTHORIZED', message: 'wrong bearer token for the command API', retryable: false } }));
      });
    });
    await new Promise<void>((resolve) => config.listen(0, '127.0.0.1', resolve));
    configUrl = `http://127.0.0.1:${(config.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => config.close(resolve));
  });

  it('forwards the caller\'s own bearer and body to config, and config\'s answer back, even with analytics writes closed', async () => {
    seen.length = 0;
    const relay = app({ configUrl });
    const done = await relay.inject({ method: 'POST', url: '/api/v1/actions/abort', headers: { authorization: 'Bearer good-token-0123456789' }, payload: { name: 'web', reason: 'r' } });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({ ok: true, version: 9, rollouts: [] });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ url: '/api/v1/commands/abort', body: JSON.stringify({ name: 'web', reason: 'r' }) });
    expect(seen[0]?.headers.authorization).toBe('Bearer good-token-0123456789');

    const refused = await relay.inject({ method: 'POST', url: '/api/v1/actions/abort', headers: { authorization: 'Bearer wrong' }, payload: { name: 'web' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ ok: false, error: { message: 'wrong bearer token for the command API' } });
  });

  it('refuses without a bearer, other verbs, and any action when no config URL is set, saying why', async () => {
    seen.length = 0;
    const noBearer = await app({ configUrl }).inject({ method: 'POST', url: '/api/v1/actions/abort', payload: { name: 'web' } });
    expect(noBearer.statusCode).toBe(401);
    expect(noBearer.json()).toMatchObject({ error: { code: 'GRAYLANE_UNAUTHORIZED', message: 'sign in with a config API token to act on rollouts' } });
    const apply = await app({ configUrl }).inject({ method: 'POST', url: '/api/v1/actions/apply', headers: { authorization: 'Bearer good-token-0123456789' }, payload: {} });
    expect(apply.statusCode).toBe(404);
    expect(seen).toEqual([]);
    const off = await app().inject({ method: 'POST', url: '/api/v1/actions/pause', headers: { authorization: 'Bearer x' }, payload: { name: 'web' } });
    expect(off.statusCode).toBe(503);
    expect(off.json()).toMatchObject({ error: { message: 'actions are off: the analytics service has no GRAYLANE_CONFIG_URL' } });
  });
});
