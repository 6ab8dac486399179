// The rollout page in a real browser: Chromium (through playwright-core) opens `GET /rollout` of the built
// service, which runs against real NATS and ClickHouse and judges a real rollout. What the page
// shows must be what the HTTP APIs answer, and it must follow new data without a reload.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { metricsSubject, ROUTING_TABLE_KEY, type ReportV1, type RolloutRecordV1, type RoutingTableV1 } from '@graylane/contracts';
import { connectNats, createLogger, encodeJson, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { freePort, startClickHouse, startNats, type RunningServer } from '@graylane/testkit';
import { jetstream } from '@nats-io/jetstream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, series } from '../test-support/metric-batches.js';

// The Debian package (`apt-get install chromium`, done by scripts/bootstrap.sh); never a download.
const CHROMIUM = '/usr/bin/chromium';
const MAIN = join(import.meta.dirname, '..', '..', 'dist', 'main.js');
const ANALYSIS_INTERVAL_MS = 3_000;
const logger = createLogger('dashboard-test', 'silent');

let natsServer: RunningServer | undefined;
let clickhouseServer: RunningServer | undefined;
let nc: NatsConnection | undefined;
let service: ChildProcess | undefined;
let browser: Browser | undefined;
let output = '';
let base = '';
let seq = 0;
/** Requests published so far per pool, as a proxy would have counted them. */
const sent = { stable: 0, canary: 0 };

function record(name: string): RolloutRecordV1 {
  return {
    name,
    state: 'progressing',
    updatedAt: new Date().toISOString(),
    updatedBy: 'dashboard-test',
    spec: {
      match: { pathPrefix: `/${name}` },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:1'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:2'] },
      traffic: { weight: 50 },
      // Judged every 3 s; a slow canary fails, and no rollback so that the page shows fails only.
      analysis: { interval: '3s', minRequests: 100, maxP99Ratio: 1.5, enabled: false },
    },
  };
}

/** `n` latencies (µs) from `fromMs` to `toMs`. */
function spread(n: number, fromMs: number, toMs: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round((fromMs + ((toMs - fromMs) * i) / Math.max(1, n - 1)) * 1000));
}

/** Publishes one batch of `shop` traffic for the second that just ended, as a proxy would. */
async function publishTraffic(stable: number, canary: number, canaryErrors = 0): Promise<void> {
  seq += 1;
  sent.stable += stable;
  sent.canary += canary;
  const one = batch(
    seq,
    [
      series({ rollout: 'shop', pool: 'stable', latenciesUs: spread(stable, 5, 20) }),
      series({ rollout: 'shop', pool: 'canary', latenciesUs: spread(canary - canaryErrors, 15, 60) }),
      ...(canaryErrors > 0 ? [series({ rollout: 'shop', pool: 'canary', statusClass: '5xx', latenciesUs: spread(canaryErrors, 1, 2) })] : []),
    ],
    { proxyId: 'proxy-dashboard', windowStartMs: Date.now() - 1_000 },
  );
  await jetstream(nc!).publish(metricsSubject('proxy-dashboard'), encodeJson(one), { msgID: one.batchId });
}

async function apiJson<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Retries `check` until it passes or `timeoutMs` ran out, then throws its last failure. */
async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(error)}\nservice output:\n${output.slice(-4_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Milliseconds as the page shows them: two decimals, or a dash for a side without requests. */
function shownMs(value: number, requests: number): string {
  return requests > 0 ? value.toFixed(2) : '–';
}

/** The pools table a user should see for `report`, cell by cell. */
function poolCells(report: ReportV1): string[][] {
  return report.pools.map((p) => [
    p.pool,
    p.version,
    String(p.requests),
    String(p.errors),
    `${(p.errorRate * 100).toFixed(2)} %`,
    ...[p.p50Ms, p.p95Ms, p.p99Ms, p.p999Ms].map((value) => shownMs(value, p.requests)),
  ]);
}

/** The verdicts table a user should see for `report`; window ends in the browser's local time. */
async function verdictCells(page: Page, report: ReportV1): Promise<string[][]> {
  const verdicts = (report.verdicts ?? []).slice(0, 30);
  const times = await page.evaluate((ends) => ends.map((end) => new Date(end).toLocaleTimeString()), verdicts.map((v) => v.window.endMs));
  return verdicts.map((v, i) => [
    times[i] ?? '',
    v.outcome,
    v.action,
    shownMs(v.stable.p99Ms, v.stable.requests),
    shownMs(v.canary.p99Ms, v.canary.requests),
    `${v.stable.requests} / ${v.canary.requests}`,
    v.reason,
  ]);
}

/** The text of every cell of a table body, row by row, read in one step so that a poll cannot land in between. */
async function tableCells(page: Page, id: string): Promise<string[][]> {
  // A string, because this package is compiled without the DOM's types.
  return page.evaluate<string[][]>(`Array.from(document.querySelectorAll('#${id} tbody tr'), (row) => Array.from(row.children, (cell) => cell.textContent))`);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the dashboard test needs Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (scripts/bootstrap.sh does)`);
  }
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run pnpm build before the tests`);
  [natsServer, clickhouseServer] = await Promise.all([startNats(), startClickHouse()]);
  nc = await connectNats(natsServer.url, logger, { name: 'dashboard-test', waitForServer: false });
  const table: RoutingTableV1 = { schema: 'graylane.routing-table/v1', rollouts: { shop: record('shop'), search: record('search') } };
  await (await openConfigBucket(nc)).put(ROUTING_TABLE_KEY, encodeJson(table));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      GRAYLANE_NATS_URL: natsServer.url,
      GRAYLANE_CLICKHOUSE_URL: clickhouseServer.url,
      GRAYLANE_CLICKHOUSE_DATABASE: 'dashboard_test',
      GRAYLANE_ANALYTICS_FLUSH_MAX_MS: '100',
      GRAYLANE_ANALYTICS_GUARDRAIL_SETTLE_MS: '500',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  service.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  service.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually('/readyz', async () => {
    if ((await fetch(`${base}/readyz`)).status !== 200) throw new Error('not ready');
  }, 60_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  service?.kill('SIGKILL');
  await nc?.close();
  await Promise.all([natsServer?.stop(), clickhouseServer?.stop()]);
});

describe('the dashboard in Chromium', () => {
  it('shows the report and the verdicts the APIs give, and follows new data', async () => {
    // Two judged windows of traffic with a canary three times slower: fail verdicts.
    const feedUntil = Date.now() + 2 * ANALYSIS_INTERVAL_MS + 500;
    while (Date.now() < feedUntil) {
      await publishTraffic(100, 100);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await eventually('a fail verdict', async () => {
      const report = await apiJson<ReportV1>('/api/v1/reports/shop?since=15m');
      if (!(report.verdicts ?? []).some((verdict) => verdict.outcome === 'fail')) throw new Error('no fail verdict yet');
    });

    const page = await browser!.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${base}/rollout?rollout=shop`);

    // The rollouts offered are the routing table's, the one in the address chosen.
    const names = await apiJson<{ rollouts: string[] }>('/api/v1/rollouts');
    expect(names.rollouts).toEqual(['search', 'shop']);
    await eventually('the rollout list', async () => {
      expect(await page.locator('#rollout option').allTextContents()).toEqual(names.rollouts);
      expect(await page.inputValue('#rollout')).toBe('shop');
    });

    // Pools and verdicts as the report API gives them, rendered the page's way. Verdicts arrive
    // every 3 s and the page polls every 2 s, so the two are compared until they agree.
    const shown = await eventually('the page to show the report', async () => {
      const report = await apiJson<ReportV1>('/api/v1/reports/shop?since=15m');
      expect(report.pools.map((pool) => [pool.pool, pool.requests])).toEqual([
        ['stable', sent.stable],
        ['canary', sent.canary],
      ]);
      const [pools, verdicts] = [await tableCells(page, 'pools'), await tableCells(page, 'verdicts')];
      expect(pools).toEqual(poolCells(report));
      expect(verdicts).toEqual(await verdictCells(page, report));
      return report;
    });
    expect(shown.verdicts?.some((verdict) => verdict.outcome === 'fail')).toBe(true);
    // A failed verdict stands out.
    expect(await page.locator('#verdicts td.fail').count()).toBeGreaterThan(0);
    const stableRequests = shown.pools.find((pool) => pool.pool === 'stable')!.requests;

    // New traffic shows up without a reload: 5 000 more stable requests, 37 canary errors.
    await publishTraffic(5_000, 200, 37);
    const updated = await eventually('the page to show the new traffic', async () => {
      const report = await apiJson<ReportV1>('/api/v1/reports/shop?since=15m');
      expect(report.pools.find((pool) => pool.pool === 'stable')?.requests).toBe(stableRequests + 5_000);
      expect(report.pools.find((pool) => pool.pool === 'canary')?.requests).toBe(sent.canary);
      expect(await tableCells(page, 'pools')).toEqual(poolCells(report));
      return report;
    });
    const canary = updated.pools.find((pool) => pool.pool === 'canary')!;
    expect(canary.errors).toBe(37);

    // Choosing another rollout sticks, even though the address names the first one.
    await page.selectOption('#rollout', 'search');
    await eventually('the other rollout', async () => expect(await page.textContent('#status')).toMatch(/no traffic/));
    await page.waitForTimeout(4_500);
    expect(await page.inputValue('#rollout')).toBe('search');
    expect(await tableCells(page, 'pools')).toEqual([]);
    // The address follows the choice, so a reload or a shared link shows the same rollout.
    expect(new URL(page.url()).searchParams.get('rollout')).toBe('search');
    await page.reload();
    await eventually('the rollout after a reload', async () => expect(await page.textContent('#status')).toMatch(/no traffic for search/));

    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
