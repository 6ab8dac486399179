// Ingest end to end: 60 000 requests through two proxies while ClickHouse is down for 30 s;
// afterwards ClickHouse holds every request once, and each pool's P99 from ClickHouse lies between
// the exact P99 the backends measured and the exact P99 the client measured, each widened by the
// histogram's relative error: the proxy's own measurement sits between those two. How far it is
// from the backends' P99 is printed; on a quiet machine it is within the histogram error, on a
// loaded one the proxy hop adds more (the exact error bound is checked against ClickHouse with
// known distributions in services/analytics/src/store/metrics-store.int.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '@graylane/contracts';
import { get, runConcurrently } from './support/http.js';
import { eventually } from './support/processes.js';
import { applyRollout, startAnalyticsStack, type AnalyticsStack } from './support/analytics-stack.js';

const REQUESTS = 60_000;
const OUTAGE_MS = 30_000;
// MAX_RELATIVE_ERROR of @graylane/histogram (loglin-us-1pct/v1), which this package does not depend on.
const HISTOGRAM_RELATIVE_ERROR = 1 / 128;

let stack: AnalyticsStack;
const children: ChildProcess[] = [];
const backendUrls = new Map<string, string>();

/**
 * The backends run in their own process, away from this busy load generator, so that the time
 * they measure is close to what the proxy sees. Latency is fixed by the request number: 2 % slow
 * (100-200 ms), the rest 1-10 ms. `GET /_latencies` returns what it measured, arrival to end.
 */
const BACKEND_SCRIPT = `
import { createServer } from 'node:http';
const measured = [];
const server = createServer((req, res) => {
  const started = performance.now();
  if (req.url === '/_latencies') { res.end(JSON.stringify(measured)); return; }
  const n = Number(/[?&]n=(\\d+)/.exec(req.url ?? '')?.[1] ?? 0);
  const delayMs = n % 50 === 7 ? 100 + (n % 101) : 1 + (n % 10);
  req.resume();
  setTimeout(() => res.end(process.env.VERSION, () => measured.push(performance.now() - started)), delayMs);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.once('SIGTERM', () => process.exit(0));
`;

/** Starts one backend process for `version`; resolves with its URL. */
async function startLatencyBackend(version: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-latency-backend-'));
  const script = join(dir, 'backend.mjs');
  writeFileSync(script, BACKEND_SCRIPT);
  const child = spawn(process.execPath, [script], { env: { ...process.env, VERSION: version }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`latency backend exited with ${code}`)));
  });
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  stack = await startAnalyticsStack({ proxies: 2, database: 'e2e_ingest' });
  for (const version of ['v1', 'v2']) backendUrls.set(version, await startLatencyBackend(version));
  await applyRollout(stack, 'totals', {
    match: { pathPrefix: '/totals' },
    stable: { name: 'v1', upstreams: [backendUrls.get('v1')!] },
    canary: { name: 'v2', upstreams: [backendUrls.get('v2')!] },
    responseHeaders: true,
    traffic: { weight: 50, stickyKey: ['header:x-user-id'] },
  });
});

afterAll(async () => {
  await stack?.stop();
  for (const child of children) child.kill('SIGTERM');
});

function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

async function report(): Promise<ReportV1> {
  const seen = await get(`${stack.analyticsUrl}/api/v1/reports/totals?since=30m`);
  if (seen.status !== 200) throw new Error(`report: ${seen.status} ${seen.body}`);
  return JSON.parse(seen.body) as ReportV1;
}

describe('ingest through an outage', () => {
  it('counts every request once after ClickHouse was down for 30 s, each P99 between the backends\' and the client\'s', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    let answered = 0;
    const atClient = new Map<string, number[]>([
      ['v1', []],
      ['v2', []],
    ]);
    let failed = 0;
    const started = Date.now();
    const outage = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await stack.clickhouse.kill();
      const downAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      await stack.clickhouse.start();
      return { downAfterMs: downAt - started, downForMs: Date.now() - downAt };
    })();
    await runConcurrently(REQUESTS, 64, async (i) => {
      const sentAt = performance.now();
      const seen = await get(`${stack.proxyUrls[i % 2]}/totals/item?n=${i}`, { 'x-user-id': `user-${i % 5_000}` }, agent);
      atClient.get(String(seen.headers['x-graylane-pool']))?.push(performance.now() - sentAt);
      if (seen.status === 200) answered += 1;
      else failed += 1;
    });
    const sentForMs = Date.now() - started;
    const { downAfterMs, downForMs } = await outage;
    agent.destroy();
    console.log(
      `${answered} answered, ${failed} failed in ${(sentForMs / 1000).toFixed(1)} s; ClickHouse down from ${(downAfterMs / 1000).toFixed(1)} s for ${(downForMs / 1000).toFixed(1)} s`,
    );
    expect(failed).toBe(0);
    expect(answered).toBe(REQUESTS);

    const final = await eventually('ClickHouse to hold every request', 60_000, async () => {
      const seen = await report();
      const total = seen.pools.reduce((sum, pool) => sum + pool.requests, 0);
      return total >= REQUESTS ? seen : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });
    const total = final.pools.reduce((sum, pool) => sum + pool.requests, 0);
    const recovered = Date.now() - started;
    expect(total).toBe(REQUESTS);
    // Counted once: a second read after redeliveries settle gives the same total.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await report()).pools.reduce((sum, pool) => sum + pool.requests, 0)).toBe(REQUESTS);

    // Each pool's P99 from ClickHouse's summed buckets against the exact one at its backend.
    const measured = new Map<string, number[]>();
    for (const [version, url] of backendUrls) measured.set(version, JSON.parse((await get(`${url}/_latencies`)).body) as number[]);
    expect(measured.get('v1')!.length + measured.get('v2')!.length).toBe(REQUESTS);
    for (const pool of final.pools) {
      const atBackend = measured.get(pool.version)!;
      expect(pool.requests).toBe(atBackend.length);
      const exact = exactQuantile(atBackend, 0.99);
      const client = exactQuantile(atClient.get(pool.version)!, 0.99);
      const relative = (pool.p99Ms - exact) / exact;
      console.log(
        `${pool.pool}: ${pool.requests} requests, ClickHouse p99 ${pool.p99Ms.toFixed(2)} ms; exact p99 at the backend ${exact.toFixed(2)} ms (ClickHouse ${(relative * 100).toFixed(2)} % above), at the client ${client.toFixed(2)} ms; all in ClickHouse ${(recovered / 1000).toFixed(1)} s after start`,
      );
      expect(pool.p99Ms).toBeGreaterThanOrEqual(exact * (1 - HISTOGRAM_RELATIVE_ERROR));
      expect(pool.p99Ms).toBeLessThanOrEqual(client * (1 + HISTOGRAM_RELATIVE_ERROR));
    }
  });
});
