// Ingest end to end: 60 000 requests through two proxies while ClickHouse is down for 30 s;
// afterwards ClickHouse holds every request once, and each pool's P99 from ClickHouse is within
// the histogram's stated relative error of the exact P99 of the latencies the backends measured
// themselves: |P99(ClickHouse) − P99(backend)| ≤ MAX_RELATIVE_ERROR · P99(backend), no other slack.
//
// The proxy records upstream time (request forwarded → last byte of the answer): the backend's
// own time plus the loopback hop and event-loop waits on both sides, 0.1-2 ms on a quiet machine
// and several ms on a loaded one. A P99 on a steep slope of the distribution would move by that
// much; the backends' distribution (see BACKEND_SCRIPT) puts the P99 on a plateau instead, where
// the hop shifts the value but not the quantile's bucket.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportV1 } from '@graylane/contracts';
import { bucketIndexOf, bucketValueUs, MAX_RELATIVE_ERROR } from '@graylane/histogram';
import { eventually } from '@graylane/testkit';
import { get, runConcurrently } from './support/http.js';
import { applyRollout, startAnalyticsStack, type AnalyticsStack } from './support/analytics-stack.js';

const REQUESTS = 60_000;
const OUTAGE_MS = 30_000;
// Slow requests hold a connection for a second (about 25 at a time); the rest keep the load up
// long enough that ClickHouse's 30 s outage, from 3 s on, is mostly under load.
const CONCURRENCY = 80;
/**
 * Every 79th request is slow: 1.27 % per pool (79 is prime, so slowness does not follow the
 * 5 000 users and both pools get the same share, ±4 %). The P99 rank then lies about a fifth of
 * the way into these slow requests: the backends' and the proxies' P99 are both a low quantile
 * of one plateau, and only if most slow requests were delayed by the machine would it move.
 */
const SLOW_EVERY = 79;
/**
 * The slow requests' delay. 1 050 ms sits 1.4 ms above the lower edge of its histogram bucket
 * [1 048.58, 1 064.96) ms, whose representative is 1 056.70 ms; that is within 1/128 (8.2 ms) of
 * any backend P99 from 1 048.5 to 1 065.0 ms. The backends never answer early, so the check holds
 * while about four in five slow requests reach the proxies' clock less than 15 ms after their
 * delay began (timer lateness, the hop, event-loop waits); it fails if the histogram, the ingest
 * or the report sums are off by a bucket.
 */
const SLOW_MS = 1_050;

let stack: AnalyticsStack;
const children: ChildProcess[] = [];
const backendUrls = new Map<string, string>();

/**
 * The backends run in their own process, away from this busy load generator, so that the time
 * they measure is close to what the proxy sees. Latency is fixed by the request number: every
 * SLOW_EVERY-th takes SLOW_MS, the rest 1-10 ms. `GET /_latencies` returns what it measured,
 * from arrival to the end of the answer.
 */
const BACKEND_SCRIPT = `
import { createServer } from 'node:http';
const measured = [];
const server = createServer((req, res) => {
  const started = performance.now();
  if (req.url === '/_latencies') { res.end(JSON.stringify(measured)); return; }
  const n = Number(/[?&]n=(\\d+)/.exec(req.url ?? '')?.[1] ?? 0);
  const delayMs = n % ${SLOW_EVERY} === 0 ? ${SLOW_MS} : 1 + (n % 10);
  req.resume();
  // A timer can fire a few ms early by performance.now() (libuv's loop clock is read once per
  // turn, so it is stale under load): wait out the rest, so no answer comes before delayMs.
  const answer = () => {
    const left = started + delayMs - performance.now();
    if (left > 0) setTimeout(answer, left);
    else res.end(process.env.VERSION, () => measured.push(performance.now() - started));
  };
  setTimeout(answer, delayMs);
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

/**
 * How the proxies' own measurements of the slow requests fell into histogram buckets, per pool:
 * how many landed in SLOW_MS's bucket and how many beyond it; printed to show a run's margin.
 */
async function slowBuckets(p99BucketIndex: number): Promise<Map<string, { inBucket: number; above: number; below: number }>> {
  const query = `SELECT pool, bucket, sum(count) FROM e2e_ingest.latency_buckets FINAL WHERE rollout = 'totals' AND value_us > ${(SLOW_MS / 2) * 1000} GROUP BY pool, bucket FORMAT TSV`;
  const answer = await fetch(stack.clickhouse.url, { method: 'POST', body: query });
  if (!answer.ok) throw new Error(`ClickHouse: ${answer.status} ${await answer.text()}`);
  const found = new Map<string, { inBucket: number; above: number; below: number }>();
  for (const line of (await answer.text()).trim().split('\n')) {
    const [pool = '', bucket = '0', count = '0'] = line.split('\t');
    const seen = found.get(pool) ?? { inBucket: 0, above: 0, below: 0 };
    const where = Number(bucket) === p99BucketIndex ? 'inBucket' : Number(bucket) > p99BucketIndex ? 'above' : 'below';
    seen[where] += Number(count);
    found.set(pool, seen);
  }
  return found;
}

async function report(): Promise<ReportV1> {
  const seen = await get(`${stack.analyticsUrl}/api/v1/reports/totals?since=30m`);
  if (seen.status !== 200) throw new Error(`report: ${seen.status} ${seen.body}`);
  return JSON.parse(seen.body) as ReportV1;
}

describe('ingest through an outage', () => {
  it('counts every request once after ClickHouse was down for 30 s, each P99 within the histogram error of the backends\'', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
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
    await runConcurrently(REQUESTS, CONCURRENCY, async (i) => {
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
    const atProxies = await slowBuckets(bucketIndexOf(SLOW_MS * 1000));
    for (const pool of final.pools) {
      const atBackend = measured.get(pool.version)!;
      expect(pool.requests).toBe(atBackend.length);
      const exact = exactQuantile(atBackend, 0.99);
      const client = exactQuantile(atClient.get(pool.version)!, 0.99);
      const gap = pool.p99Ms - exact;
      const allowed = MAX_RELATIVE_ERROR * exact;
      const bucketMs = bucketValueUs(bucketIndexOf(exact * 1000)) / 1000;
      const slow = atProxies.get(pool.pool);
      // The P99 (rank ceil(0.99·n)) leaves the bucket once this many requests lie beyond it.
      const movesAt = pool.requests - Math.ceil(0.99 * pool.requests) + 1;
      console.log(
        `${pool.pool}: ${pool.requests} requests; P99 ClickHouse ${pool.p99Ms.toFixed(2)} ms, backend ${exact.toFixed(2)} ms (its bucket's value ${bucketMs.toFixed(2)} ms), client ${client.toFixed(2)} ms; ` +
          `gap ${gap >= 0 ? '+' : ''}${gap.toFixed(2)} ms (${((gap / exact) * 100).toFixed(3)} %), allowed ±${allowed.toFixed(2)} ms; ` +
          `slow requests as the proxies measured them: ${slow?.below ?? 0} below, ${slow?.inBucket ?? 0} in, ${slow?.above ?? 0} above the ${SLOW_MS} ms bucket (the P99 would move at ${movesAt} above); all in ClickHouse ${(recovered / 1000).toFixed(1)} s after start`,
      );
      expect(Math.abs(gap), `${pool.pool}: |P99 ClickHouse ${pool.p99Ms} − P99 backend ${exact}| ms`).toBeLessThanOrEqual(allowed);
    }
  });
});
