// `pnpm bench:pipeline`: how many metric batches per second ONE analytics process moves from
// JetStream into a real ClickHouse (acknowledging each after the insert), and the request rate
// across proxies that corresponds to. Beside it, measured in the same run on the same batches:
//   - raw JetStream consume-and-ack: a pull consumer that only JSON-decodes and acks (no
//     ClickHouse): the ceiling NATS and one Node process put on ingest;
//   - raw ClickHouse insert: the same rows analytics writes, inserted straight over HTTP in
//     chunks of the same size (no NATS, no decoding): the ceiling ClickHouse puts on it.
// The machine is shared and small (2 cores), so read the ratios, not the absolute figures.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { METRICS_STREAM, metricsSubject, type MetricBatchV1, type MetricSeriesV1, type StatusClass } from '@graylane/contracts';
import { bucketValueUs, LatencyHistogram } from '@graylane/histogram';
import { connectNats, createLogger, decodeJson, encodeJson, ensureMetricsStream, type NatsConnection } from '@graylane/runtime';
import { freePort, startClickHouse, startNats, waitForHttp, type RunningServer } from '@graylane/testkit';
import { printTable } from './table.js';
import { stopChild } from './stop-child.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const BATCHES = Number(process.env.BENCH_BATCHES ?? 20_000);
/** Requests one proxy serves per second in the modelled fleet: what one batch stands for. */
const REQUESTS_PER_BATCH = Number(process.env.BENCH_REQUESTS_PER_BATCH ?? 2_000);
const PROXIES = 50;
const ROLLOUTS_PER_BATCH = 1;
/** Same chunking as analytics' default GRAYLANE_ANALYTICS_FLUSH_MAX_ROWS. */
const SERIES_PER_INSERT = 5_000;
const DATABASE = 'bench_pipeline';
const RAW_DATABASE = 'bench_pipeline_raw';
const logger = createLogger('bench-pipeline', 'warn');
const children: ChildProcess[] = [];

/** A realistic proxy-second: per rollout, stable and canary, mostly 2xx and some 5xx. */
function templateSeries(seed: number): MetricSeriesV1[] {
  const series: MetricSeriesV1[] = [];
  let state = seed * 2654435761;
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let r = 0; r < ROLLOUTS_PER_BATCH; r += 1) {
    for (const [pool, share] of [['stable', 0.9], ['canary', 0.1]] as const) {
      for (const [statusClass, rate] of [['2xx', 0.99], ['5xx', 0.01]] as [StatusClass, number][]) {
        const count = Math.max(1, Math.round(REQUESTS_PER_BATCH * share * rate));
        const histogram = new LatencyHistogram();
        // Log-normal-ish around 8 ms with a long tail.
        for (let i = 0; i < count; i += 1) histogram.record(Math.round(8_000 * Math.exp(0.6 * gaussian(random))));
        series.push({ rollout: `rollout-${r}`, pool, version: pool === 'stable' ? 'v1' : 'v2', region: '', statusClass, count, latency: histogram.encode() });
      }
    }
  }
  return series;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function batchOf(i: number, templates: MetricSeriesV1[][], nowMs: number): MetricBatchV1 {
  const proxyId = `bench-proxy-${i % PROXIES}`;
  const seq = Math.floor(i / PROXIES);
  const windowStartMs = nowMs - 60_000 + (seq % 60) * 1_000;
  return {
    schema: 'graylane.metric-batch/v1',
    batchId: `${proxyId}:${seq}`,
    proxyId,
    seq,
    configVersion: 1,
    windowStartMs,
    windowEndMs: windowStartMs + 1_000,
    series: templates[i % templates.length]!,
  };
}

/** Publishes every batch as a JetStream message, a window of acknowledged requests at a time. */
async function fillStream(nc: NatsConnection, batches: readonly MetricBatchV1[]): Promise<void> {
  for (let i = 0; i < batches.length; i += 500) {
    await Promise.all(batches.slice(i, i + 500).map((batch) => nc.request(metricsSubject(batch.proxyId), encodeJson(batch), { timeout: 30_000 })));
  }
}

/** Peer: a durable pull consumer through the JetStream wire API that decodes and acks. */
async function rawConsume(nc: NatsConnection, expected: number): Promise<number> {
  const name = 'bench-raw';
  await nc.request(
    `$JS.API.CONSUMER.DURABLE.CREATE.${METRICS_STREAM}.${name}`,
    encodeJson({ stream_name: METRICS_STREAM, config: { durable_name: name, ack_policy: 'explicit', deliver_policy: 'all', max_ack_pending: 20_000 } }),
  );
  const inbox = `_INBOX.bench.${Date.now()}`;
  const pull = (): void => nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${METRICS_STREAM}.${name}`, encodeJson({ batch: 1_000, expires: 2_000_000_000 }), { reply: inbox });
  let seen = 0;
  let sinceLastPull = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const sub = nc.subscribe(inbox, {
      callback: (_error, msg) => {
        if (msg.data.length === 0 || msg.reply === undefined) {
          // A status (timeout, no messages): ask again.
          pull();
          return;
        }
        decodeJson(msg.data);
        nc.publish(msg.reply, '+ACK');
        seen += 1;
        sinceLastPull += 1;
        if (sinceLastPull >= 1_000) {
          sinceLastPull = 0;
          pull();
        }
        if (seen >= expected) {
          sub.unsubscribe();
          resolve();
        }
      },
    });
    pull();
    pull();
  });
  await nc.flush();
  return performance.now() - started;
}

/** The rows analytics writes for these batches (see services/analytics/src/store/rows.ts). */
function rowsOf(batches: readonly MetricBatchV1[]): { counts: string; buckets: string; series: number } {
  const counts: string[] = [];
  const buckets: string[] = [];
  for (const batch of batches) {
    const ts = Math.floor(batch.windowStartMs / 1000);
    const minute = ts - (ts % 60);
    for (const one of batch.series) {
      const key = { ts, minute, rollout: one.rollout, pool: one.pool, version: one.version, region: one.region, status_class: one.statusClass, batch_id: batch.batchId };
      counts.push(JSON.stringify({ ...key, proxy_id: batch.proxyId, config_version: batch.configVersion, requests: one.count }));
      for (const [bucket, count] of LatencyHistogram.decode(one.latency).entries()) {
        buckets.push(JSON.stringify({ ...key, bucket, value_us: Math.round(bucketValueUs(bucket)), count }));
      }
    }
  }
  return { counts: counts.join('\n'), buckets: buckets.join('\n'), series: counts.length };
}

/** One statement over ClickHouse's HTTP interface, on a fresh connection (18.16 drops idle ones). */
function clickhouse(url: string, query: string, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/?query=${encodeURIComponent(query)}`, { method: 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve(text) : reject(new Error(`ClickHouse: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Peer: the same rows inserted straight into ClickHouse, in analytics-sized chunks. */
async function rawInsert(url: string, batches: readonly MetricBatchV1[]): Promise<number> {
  for (const table of ['request_counts', 'latency_buckets']) {
    const ddl = (await clickhouse(url, `SHOW CREATE TABLE ${DATABASE}.${table} FORMAT TabSeparatedRaw`)).trim();
    await clickhouse(url, `CREATE DATABASE IF NOT EXISTS ${RAW_DATABASE}`);
    await clickhouse(url, ddl.replace(`${DATABASE}.${table}`, `${RAW_DATABASE}.${table}`));
  }
  const perInsert = Math.max(1, Math.floor(SERIES_PER_INSERT / (batches[0]?.series.length ?? 1)));
  // Only the inserts are timed; the rows are built before each, one chunk at a time.
  let insertingMs = 0;
  for (let i = 0; i < batches.length; i += perInsert) {
    const chunk = rowsOf(batches.slice(i, i + perInsert));
    const started = performance.now();
    await clickhouse(url, `INSERT INTO ${RAW_DATABASE}.request_counts FORMAT JSONEachRow`, chunk.counts);
    await clickhouse(url, `INSERT INTO ${RAW_DATABASE}.latency_buckets FORMAT JSONEachRow`, chunk.buckets);
    insertingMs += performance.now() - started;
  }
  return insertingMs;
}

async function ingestedCount(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^graylane_analytics_batches_ingested_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** The analytics service as a process; rate from its first ingested batch to its last. */
async function analyticsIngest(natsUrl: string, clickhouseUrl: string, expected: number): Promise<{ ms: number; counted: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'services/analytics/dist/main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', PORT: String(port), GRAYLANE_NATS_URL: natsUrl, GRAYLANE_CLICKHOUSE_URL: clickhouseUrl, GRAYLANE_CLICKHOUSE_DATABASE: DATABASE },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`analytics exited with ${code}`))));
  exited.catch(() => undefined);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  await Promise.race([waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000), exited]);
  let first: { at: number; count: number } | undefined;
  for (;;) {
    const count = await ingestedCount(metricsUrl).catch(() => 0);
    const at = performance.now();
    if (count > 0 && first === undefined) first = { at, count };
    if (count >= expected && first !== undefined) return { ms: at - first.at, counted: count - first.count };
    await Promise.race([sleep(20), exited]);
  }
}

async function main(): Promise<void> {
  const servers: RunningServer[] = await Promise.all([startNats(), startClickHouse()]);
  const [nats, ch] = servers as [RunningServer, RunningServer];
  try {
    const nc = await connectNats(nats.url, logger, { name: 'bench-pipeline', waitForServer: false });
    await ensureMetricsStream(nc);
    const templates = Array.from({ length: 16 }, (_, i) => templateSeries(i + 1));
    const nowMs = Date.now();
    const batches = Array.from({ length: BATCHES }, (_, i) => batchOf(i, templates, nowMs));
    const seriesPerBatch = batches[0]!.series.length;
    const bucketsPerBatch = batches[0]!.series.reduce((sum, one) => sum + one.latency.buckets.length, 0);
    const bytesPerBatch = encodeJson(batches[0]).length;
    console.log(
      `${BATCHES} batches: ${seriesPerBatch} series, ~${bucketsPerBatch} histogram buckets, ~${bytesPerBatch} bytes each; each stands for one proxy-second of ${REQUESTS_PER_BATCH} requests`,
    );
    await fillStream(nc, batches);

    const rawConsumeMs = await rawConsume(nc, BATCHES);
    const analytics = await analyticsIngest(nats.url, ch.url, BATCHES);
    const rawInsertMs = await rawInsert(ch.url, batches);
    await nc.close();

    const perSecond = (count: number, ms: number): number => (count / ms) * 1000;
    const rows = [
      { name: 'raw JetStream consume+ack', values: { 'batches/s': perSecond(BATCHES, rawConsumeMs) } },
      { name: 'raw ClickHouse insert', values: { 'batches/s': perSecond(BATCHES, rawInsertMs) } },
      { name: 'analytics (NATS -> ClickHouse, ack after insert)', values: { 'batches/s': perSecond(analytics.counted, analytics.ms) } },
    ].map((row) => ({ ...row, values: { ...row.values, 'requests/s represented': row.values['batches/s'] * REQUESTS_PER_BATCH } }));
    printTable('metrics pipeline, one process each (shared 2-core machine: noisy, compare ratios)', rows, {
      baseline: 'analytics (NATS -> ClickHouse, ack after insert)',
      columns: ['batches/s', 'requests/s represented'],
      digits: 0,
    });
    const rate = perSecond(analytics.counted, analytics.ms);
    console.log(
      `\nOne analytics process ingests ~${Math.round(rate)} batches/s: a fleet of ~${Math.round(rate)} proxies publishing one batch per second. ` +
        `A batch's size grows with its series and histogram buckets, not with its requests, so at ${REQUESTS_PER_BATCH} req/s per proxy ` +
        `that is ~${Math.round(rate * REQUESTS_PER_BATCH).toLocaleString('en')} requests/s across the fleet, and proportionally more at busier proxies.`,
    );
  } finally {
    await Promise.all(children.map(stopChild));
    await Promise.all(servers.map((server) => server.stop()));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
