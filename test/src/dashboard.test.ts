// The dashboard in Debian's Chromium against the whole stack with real traffic: NATS, ClickHouse,
// config (with a named API token), analytics, a proxy and demo backends. What the page draws must
// be what the APIs answer; changes made with the CLI, by the guardrails and from the page's own
// buttons must show within seconds. Takes the screenshots the README shows: into a temporary
// folder, so a test run leaves the working tree as it was, or, to refresh the README's, into
// GRAYLANE_SCREENSHOTS_DIR (relative to the repository root: docs/images).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, REPO_ROOT } from '@graylane/testkit';
import { get } from './support/http.js';
import { runGraylane } from './support/processes.js';
import { applyRollout, paceLoad, startAnalyticsStack, startBackend, type AnalyticsStack, type BackendProcess } from './support/analytics-stack.js';

// The Debian package, never a download.
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'ops-token-0123456789abcdef';
const SCREENSHOTS_DIR = process.env.GRAYLANE_SCREENSHOTS_DIR;
const BASE = { latencyMs: 20, tailRate: 0.02, tailMs: 20 };

let stack: AnalyticsStack;
let context: BrowserContext;
let profile = '';
let images = '';
const backends: BackendProcess[] = [];
let shopCanary: BackendProcess;

interface SeriesBody {
  times: number[];
  stepSeconds: number;
  pools: { pool: string; requests: number[]; p99Ms: (number | null)[] }[];
}

async function api<T>(path: string): Promise<T> {
  const seen = await get(`${stack.analyticsUrl}${path}`);
  if (seen.status !== 200) throw new Error(`${path}: ${seen.status} ${seen.body}`);
  return JSON.parse(seen.body) as T;
}

/** A page that fails the test on any script error or unexpected HTTP error. */
async function open(path: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A refused action is an expected 401 that Chromium logs as a failed resource.
    if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().includes('/api/v1/actions/')) errors.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(`${stack.analyticsUrl}${path}`);
  return page;
}

/** The data of one chart as uPlot holds it: [times, ...series]. */
async function chartData(page: Page, name: string): Promise<(number | null)[][]> {
  return page.evaluate<(number | null)[][]>(`window.graylaneCharts?.${name}?.data?.map((s) => Array.from(s)) ?? []`);
}

async function cells(page: Page, id: string): Promise<string[][]> {
  return page.evaluate<string[][]>(`Array.from(document.querySelectorAll('#${id} tbody tr'), (row) => Array.from(row.children, (cell) => cell.textContent))`);
}

beforeAll(async () => {
  stack = await startAnalyticsStack({
    proxies: 1,
    database: 'e2e_dashboard',
    analyticsEnv: { GRAYLANE_ANALYTICS_GUARDRAIL_SETTLE_MS: '2000' },
    configEnv: { GRAYLANE_CONFIG_TOKENS: `ops:${TOKEN}` },
  });
  const [stable, canary, searchStable, searchCanary] = await Promise.all([
    startBackend('v1', BASE),
    startBackend('v2', BASE),
    startBackend('v1', BASE),
    startBackend('v2', BASE),
  ]);
  shopCanary = canary;
  backends.push(stable, canary, searchStable, searchCanary);
  await applyRollout(stack, 'shop', {
    match: { pathPrefix: '/shop' },
    stable: { name: 'v1', upstreams: [stable.url] },
    canary: { name: 'v2', upstreams: [canary.url] },
    responseHeaders: true,
    traffic: { weight: 50, stickyKey: ['header:x-user-id'] },
    analysis: { interval: '5s', minRequests: 200, maxP99Ratio: 1.5, minP99IncreaseMs: 5, consecutiveFailures: 1 },
    // The first step sets the weight (50 %) and holds it for the whole test.
    steps: [{ weight: 50, pause: '1h' }, { weight: 100 }],
  });
  await applyRollout(stack, 'search', {
    match: { pathPrefix: '/search' },
    stable: { name: 'v1', upstreams: [searchStable.url] },
    canary: { name: 'v2', upstreams: [searchCanary.url] },
    traffic: { weight: 20, stickyKey: ['header:x-user-id'] },
  });
  profile = mkdtempSync(join(tmpdir(), 'graylane-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  images = SCREENSHOTS_DIR === undefined ? mkdtempSync(join(tmpdir(), 'graylane-screenshots-')) : resolve(REPO_ROOT, SCREENSHOTS_DIR);
  mkdirSync(images, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await Promise.all([stack?.stop(), ...backends.map((backend) => backend.process.stop())]);
  if (profile !== '') rmSync(profile, { recursive: true, force: true });
  if (SCREENSHOTS_DIR === undefined && images !== '') rmSync(images, { recursive: true, force: true });
});

describe('the dashboard in Chromium, on the whole stack', () => {
  it('lists the rollouts, charts both pools as the APIs do, follows CLI and guardrail changes, and acts only with a token', async () => {
    const load = paceLoad(stack.proxyUrls, [{ path: '/shop/item', rate: 120 }, { path: '/search/q', rate: 30 }], 150_000);
    const errors: string[] = [];
    try {
      // The overview: both rollouts, with their weight and, once traffic is in, the canary's P99.
      const overview = await open('/', errors);
      await eventually('the overview with traffic', 30_000, async () => {
        const rows = await cells(overview, 'rollouts');
        const shop = rows.find((row) => row[0] === 'shop');
        return rows.length === 2 && rows[0]?.[0] === 'search' && shop?.[2] === '50 %' && shop[6] !== '–' && shop[5] !== '–' ? true : undefined;
      });
      expect((await cells(overview, 'rollouts')).find((row) => row[0] === 'shop')?.[3]).toBe('step 1 of 2');
      await overview.screenshot({ path: join(images, 'dashboard-overview.png'), fullPage: true });

      // The rollout page: P99 series of both pools, point for point the series API's, for every
      // bucket that is finished (the newest still fills up between the two reads).
      const page = await open('/rollout?rollout=shop&since=5m', errors);
      const compared = await eventually('P99 points for both pools', 30_000, async () => {
        const drawn = await chartData(page, 'latency');
        const served = await api<SeriesBody>('/api/v1/series/shop?since=5m');
        const [times, , , stableP99, , , canaryP99] = drawn;
        if (times === undefined || stableP99 === undefined || canaryP99 === undefined) return undefined;
        const finishedBefore = served.times.at(-2) ?? 0;
        let both = 0;
        for (const [i, t] of times.entries()) {
          if (t === null || t >= finishedBefore) continue;
          const j = served.times.indexOf(t);
          if (j < 0) continue;
          const stable = served.pools.find((p) => p.pool === 'stable')?.p99Ms[j] ?? null;
          const canary = served.pools.find((p) => p.pool === 'canary')?.p99Ms[j] ?? null;
          expect([stableP99[i], canaryP99[i]], `bucket ${t}`).toEqual([stable, canary]);
          if (stable !== null && canary !== null) both += 1;
        }
        return both >= 3 ? both : undefined;
      });
      expect(compared).toBeGreaterThanOrEqual(3);
      // Requests over the window add up to the report's, pool by pool.
      const [report, served] = await Promise.all([
        api<{ pools: { pool: string; requests: number }[] }>('/api/v1/reports/shop?since=1h'),
        api<SeriesBody>('/api/v1/series/shop?since=1h&step=1h'),
      ]);
      for (const pool of served.pools) {
        const total = pool.requests.reduce((a, b) => a + b, 0);
        // Taken a moment apart under load: within the few requests of one batch.
        expect(Math.abs(total - (report.pools.find((p) => p.pool === pool.pool)?.requests ?? 0))).toBeLessThan(300);
      }
      expect(await page.locator('#steps .step.current').textContent()).toBe('1. 50 % for 1h');

      // A weight change with the CLI: on the weight chart and in the history within 2 s.
      const moved = await runGraylane(['weight', 'shop', '30', '--reason', 'dashboard e2e'], stack.env);
      expect(moved.code, moved.stderr).toBe(0);
      const changedAt = Date.now();
      await eventually('the weight change on the page', 2_000, async () => {
        const [, weights] = await chartData(page, 'weight');
        const history = await cells(page, 'history');
        return weights?.at(-1) === 30 && history[0]?.[6]?.includes('/spec/traffic/weight: 50 → 30') && history[0]?.[5] === 'dashboard e2e' ? true : undefined;
      });
      console.log(`weight change shown after ${Date.now() - changedAt} ms`);
      expect(await page.locator('#chart-latency .marker.config').count()).toBeGreaterThan(0);

      // A slowed canary: the guardrails roll it back, and the rollback marker appears.
      await shopCanary.settings({ latencyMs: 60, tailMs: 60 });
      const slowedAt = Date.now();
      await eventually('the rollback marker', 45_000, async () => ((await page.locator('#chart-latency .marker.rollback').count()) > 0 ? true : undefined));
      console.log(`rollback marker shown ${((Date.now() - slowedAt) / 1000).toFixed(1)} s after the canary slowed`);
      const title = await page.locator('#chart-latency .marker.rollback').first().getAttribute('title');
      expect(title).toMatch(/rollback/);
      await eventually('the state line', 5_000, async () => ((await page.textContent('#state'))?.includes('rolled_back') ? true : undefined));
      // The last two minutes fill the chart's width for the picture.
      await page.selectOption('#since', '2m');
      await page.waitForTimeout(2_500);
      await page.screenshot({ path: join(images, 'dashboard-rollout.png'), fullPage: true });

      // Abort from the page: refused signed out and with a wrong token, saying why; done with the token.
      const search = await open('/rollout?rollout=search&since=5m', errors);
      await eventually('the search page', 10_000, async () => ((await search.inputValue('#rollout')) === 'search' && (await cells(search, 'history')).length > 0 ? true : undefined));
      await search.click('button[data-verb=abort]');
      await eventually('the refusal signed out', 5_000, async () =>
        /abort search refused: GRAYLANE_UNAUTHORIZED: sign in with a config API token/.test((await search.textContent('#action-result')) ?? '') ? true : undefined,
      );
      await search.fill('#token', 'not-the-token-0123456789');
      await search.click('#sign-in');
      await search.click('button[data-verb=abort]');
      await eventually('the refusal of a wrong token', 5_000, async () => (/abort search refused: GRAYLANE_UNAUTHORIZED/.test((await search.textContent('#action-result')) ?? '') ? true : undefined));
      expect((await runGraylane(['get', 'search', '--json'], stack.env)).stdout).toContain('"progressing"');
      await search.click('#sign-out');
      await search.fill('#token', TOKEN);
      await search.click('#sign-in');
      await search.click('button[data-verb=abort]');
      await eventually('the abort done', 5_000, async () => (/abort search: done, config version \d+/.test((await search.textContent('#action-result')) ?? '') ? true : undefined));
      const got = JSON.parse((await runGraylane(['get', 'search', '--json'], stack.env)).stdout) as { rollouts: { state: string; updatedBy: string }[] };
      expect(got.rollouts[0]).toMatchObject({ state: 'aborted', updatedBy: 'ops' });
      await eventually('the abort in the history', 5_000, async () => {
        const [latest] = await cells(search, 'history');
        return latest?.[2] === 'ops' && latest[3] === 'abort' ? true : undefined;
      });
      // Signed in, the page lists the live proxy and the config version it applies.
      await eventually('the proxies', 10_000, async () => ((await cells(search, 'proxies')).length === 1 ? true : undefined));
      expect(errors).toEqual([]);
    } catch (error) {
      throw new Error(`${String(error)}\npage errors: ${errors.join('\n')}\n${stack.logs().slice(-6_000)}`);
    } finally {
      await load.stop();
    }
  }, 240_000);
});
