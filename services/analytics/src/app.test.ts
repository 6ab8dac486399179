import { GraylaneError, type ReportV1, type VerdictV1 } from '@graylane/contracts';
import { createLogger, httpAuthFrom } from '@graylane/runtime';
import { parsePrometheusText } from '@graylane/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from './app.js';
import { AnalyticsMetrics } from './self-metrics.js';

const logger = createLogger('analytics-test', 'silent');
const apps: ReturnType<typeof buildApp>[] = [];

function app(overrides: Partial<AppDeps> = {}): ReturnType<typeof buildApp> {
  const built = buildApp({
    logger,
    metrics: new AnalyticsMetrics(),
    readiness: [{ name: 'nats', check: async () => true }],
    reports: {
      report: async (name, sinceSeconds): Promise<ReportV1> => ({ name, sinceSeconds, generatedAt: 'now', pools: [] }),
    },
    verdicts: { verdicts: async (): Promise<VerdictV1[]> => [] },
    rolloutNames: () => ['web', 'checkout'],
    ...overrides,
  });
  apps.push(built);
  return built;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((built) => built.close()));
});

describe('analytics HTTP app', () => {
  it('answers /healthz', async () => {
    const response = await app().inject({ url: '/healthz' });
    expect(response.statusCode).toBe(200);
  });

  it('is ready only when every check passes, and names the failing one', async () => {
    const ready = await app().inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    const notReady = await app({
      readiness: [
        { name: 'nats', check: async () => true },
        { name: 'clickhouse', check: async () => Promise.reject(new Error('connection refused')) },
      ],
    }).inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not_ready', checks: { nats: true, clickhouse: false } });
  });

  it('serves Prometheus text at /metrics', async () => {
    const metrics = new AnalyticsMetrics();
    metrics.batchesIngested = 5;
    const response = await app({ metrics }).inject({ url: '/metrics' });
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.body).toContain('graylane_analytics_batches_ingested_total 5\n');
    expect(parsePrometheusText(response.body).get('graylane_analytics_batches_ingested_total')?.samples[0]?.value).toBe(5);
  });

  it('reports over the window given by since, 15 minutes by default', async () => {
    const byDefault = await app().inject({ url: '/api/v1/reports/checkout' });
    expect(byDefault.json()).toMatchObject({ name: 'checkout', sinceSeconds: 900, pools: [] });
    const twoHours = await app().inject({ url: '/api/v1/reports/checkout?since=2h' });
    expect(twoHours.json()).toMatchObject({ sinceSeconds: 7200 });
  });

  it.each(['soon', '0s', '40d', '45000h'])('rejects since=%s with a typed 400 naming the parameter', async (since) => {
    const response = await app().inject({ url: `/api/v1/reports/checkout?since=${since}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'GRAYLANE_VALIDATION', field: 'since', retryable: false } });
    expect(response.json<{ error: { message: string } }>().error.message).toContain('since');
  });

  it('maps a GraylaneError from the store to its status', async () => {
    const response = await app({
      reports: {
        report: async () => {
          throw new GraylaneError('GRAYLANE_UNAVAILABLE', 'ClickHouse did not answer');
        },
      },
    }).inject({ url: '/api/v1/reports/checkout' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: 'GRAYLANE_UNAVAILABLE', message: 'ClickHouse did not answer', retryable: true } });
  });

  it('turns unexpected failures into a 500 without leaking a stack', async () => {
    const response = await app({
      reports: {
        report: async () => {
          throw new TypeError('boom');
        },
      },
    }).inject({ url: '/api/v1/reports/checkout' });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: 'GRAYLANE_INTERNAL', message: 'boom', retryable: true } });
  });

  it('answers unknown routes with a typed 404', async () => {
    const response = await app().inject({ url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'GRAYLANE_NOT_FOUND' } });
  });

  it('serves the dashboard pages, their scripts and uPlot from this origin, and the rollout names', async () => {
    for (const [url, type, text] of [
      ['/', /^text\/html/, 'assets/overview.js'],
      ['/rollout', /^text\/html/, 'assets/rollout.js'],
      ['/assets/rollout.js', /^text\/javascript/, 'api/v1/reports/'],
      ['/assets/uplot.js', /^text\/javascript/, 'uPlot'],
      ['/assets/uplot.css', /^text\/css/, '.uplot'],
    ] as const) {
      const page = await app().inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type'], url).toMatch(type);
      expect(page.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(page.body, url).toContain(text);
    }
    expect((await app().inject({ url: '/assets/..%2Fpackage.json' })).statusCode).toBe(404);
    expect((await app().inject({ url: '/assets/__proto__' })).statusCode).toBe(404);
    expect((await app().inject({ url: '/api/v1/rollouts' })).json()).toEqual({ rollouts: ['checkout', 'web'] });
  });

  it('lists verdicts with since and limit, and names a bad limit', async () => {
    const seen: unknown[] = [];
    const verdicts = { verdicts: async (...args: unknown[]): Promise<VerdictV1[]> => (seen.push(args), []) };
    const ok = await app({ verdicts }).inject({ url: '/api/v1/verdicts/checkout?since=1h&limit=5' });
    expect(ok.json()).toEqual({ rollout: 'checkout', sinceSeconds: 3600, verdicts: [] });
    expect(seen).toEqual([['checkout', 3600, 5]]);
    const bad = await app({ verdicts }).inject({ url: '/api/v1/verdicts/checkout?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'GRAYLANE_VALIDATION', message: 'limit: expected a whole number 1-10000, got "0"' } });
  });
});

describe('analytics HTTP access', () => {
  const READ = 'read-token-0123456789abcdef';
  const withReadToken = () =>
    app({
      access: {
        writes: httpAuthFrom({}, 'GRAYLANE_ANALYTICS_TOKEN', 'GRAYLANE_ANALYTICS_AUTH'),
        reads: httpAuthFrom({ GRAYLANE_ANALYTICS_READ_TOKEN: READ }, 'GRAYLANE_ANALYTICS_READ_TOKEN', 'GRAYLANE_ANALYTICS_READ_AUTH'),
      },
    });

  it('closes writes by default, whatever the path', async () => {
    for (const url of ['/api/v1/reports/web', '/anything']) {
      const response = await app().inject({ method: 'POST', url, payload: {} });
      expect(response.statusCode, url).toBe(403);
      expect(response.json<{ error: { code: string } }>().error.code).toBe('GRAYLANE_WRITES_CLOSED');
    }
  });

  it('leaves reads open without a read token (the documented default)', async () => {
    expect((await app().inject({ url: '/api/v1/reports/web' })).statusCode).toBe(200);
  });

  it('with a read token, needs it for reports however the path is spelled, and keeps probes and the page open', async () => {
    const built = withReadToken();
    for (const url of ['/api/v1/reports/web', '/api/v1/%72eports/web', '/api/v1/verdicts/web', '/api/v1/rollouts']) {
      expect((await built.inject({ url })).statusCode, url).toBe(401);
      expect((await built.inject({ url, headers: { authorization: `Bearer ${READ}` } })).statusCode, url).toBe(200);
    }
    for (const url of ['/healthz', '/readyz', '/metrics', '/']) expect((await built.inject({ url })).statusCode, url).toBe(200);
  });
});
