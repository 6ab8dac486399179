import { metricsSubject, REPORT_SUBJECT, type ReportReplyV1, type ReportV1 } from '@graylane/contracts';
import { HISTOGRAM_LAYOUT } from '@graylane/histogram';
import { connectNats, decodeJson, encodeJson, type NatsConnection } from '@graylane/runtime';
import { createLogger } from '@graylane/runtime';
import { startClickHouse, startNats, type RunningServer } from '@graylane/testkit';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { METRICS_CONSUMER, METRICS_STREAM } from '@graylane/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { AnalyticsMetrics } from '../self-metrics.js';
import { createClickHouse, sqlString, type ClickHouseClient } from '../store/clickhouse.js';
import { MetricsStore } from '../store/metrics-store.js';
import { migrate } from '../test-support/schema.js';
import { batch, evenly, series } from '../test-support/metric-batches.js';
import { MetricsConsumer, type BatchSink } from './metrics-consumer.js';
import { startReportResponder } from './report-responder.js';

const logger = createLogger('analytics-test', 'silent');
const DATABASE = 'analytics_ingest_test';

let natsServer: RunningServer;
let clickhouseServer: RunningServer;
let nc: NatsConnection;
let js: JetStreamClient;
let client: ClickHouseClient;
let store: MetricsStore;
let metrics: AnalyticsMetrics;
let consumer: MetricsConsumer;
/** Series per insert, to see that messages are written in bounded batches. */
const insertSizes: number[] = [];
/** Histogram buckets per insert, to see the bucket-row bound. */
const insertBucketSizes: number[] = [];

beforeAll(async () => {
  [natsServer, clickhouseServer] = await Promise.all([startNats(), startClickHouse()]);
  nc = await connectNats(natsServer.url, logger, { name: 'analytics-test', waitForServer: false });
  js = jetstream(nc);
  client = createClickHouse(clickhouseServer.url, logger);
  await migrate(client, DATABASE, logger);
  store = new MetricsStore(client, DATABASE);
  metrics = new AnalyticsMetrics();
  const recording: BatchSink = {
    insertBatches: async (batches) => {
      insertSizes.push(batches.reduce((rows, one) => rows + one.batch.series.length, 0));
      insertBucketSizes.push(batches.reduce((rows, one) => rows + one.batch.series.reduce((sum, s) => sum + s.latency.buckets.length, 0), 0));
      // A batch ClickHouse itself refuses: the insert goes to a table that does not exist.
      if (batches.some((one) => one.batch.proxyId === 'poison')) {
        await client.insert({ table: `${DATABASE}.no_such_table`, values: [{ x: 1 }], format: 'JSONEachRow' });
      }
      return store.insertBatches(batches);
    },
  };
  consumer = await MetricsConsumer.start(nc, recording, metrics, logger, {
    flushMaxRows: 50,
    flushMaxMs: 100,
    flushMaxBucketRows: 1_000,
    retryMinMs: 100,
    retryMaxMs: 500,
  });
});

afterAll(async () => {
  await consumer?.stop();
  await nc?.close();
  await client?.close();
  await Promise.all([natsServer?.stop(), clickhouseServer?.stop()]);
});

async function publish(value: unknown, msgID: string, proxyId = 'proxy-a'): Promise<void> {
  const data = typeof value === 'string' ? new TextEncoder().encode(value) : encodeJson(value);
  await js.publish(metricsSubject(proxyId), data, { msgID });
}

async function totals(rollout: string): Promise<{ requests: number; latencies: number }> {
  const read = async (query: string): Promise<number> => {
    const result = await client.query({ query, format: 'JSONEachRow' });
    const [row] = await result.json<{ value: string }>();
    return Number(row?.value ?? 0);
  };
  const where = `rollout = ${sqlString(rollout)}`;
  return {
    requests: await read(`SELECT sum(requests) AS value FROM ${DATABASE}.request_counts FINAL WHERE ${where}`),
    latencies: await read(`SELECT sum(count) AS value FROM ${DATABASE}.latency_buckets FINAL WHERE ${where}`),
  };
}

/** Both tables hold `requests` requests (they are written one after the other). */
function sameTotals(actual: { requests: number; latencies: number }, requests: number): boolean {
  return actual.requests === requests && actual.latencies === requests;
}

/** Polls `check` until true; a check that throws (ClickHouse still starting) counts as false. */
async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function consumerIdle(): Promise<boolean> {
  const info = await (await jetstreamManager(nc)).consumers.info(METRICS_STREAM, METRICS_CONSUMER);
  return info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered === 0;
}

describe('MetricsConsumer', () => {
  it('writes every published batch to ClickHouse and acknowledges it', async () => {
    let expected = 0;
    for (const proxyId of ['proxy-a', 'proxy-b', 'proxy-c']) {
      for (let seq = 0; seq < 40; seq += 1) {
        const latencies = evenly(1 + (seq % 7), 500, 80_000);
        expected += latencies.length;
        const one = batch(seq, [series({ rollout: 'ingest', pool: seq % 2 ? 'canary' : 'stable', latenciesUs: latencies })], { proxyId });
        await publish(one, one.batchId, proxyId);
      }
    }
    await eventually(async () => sameTotals(await totals('ingest'), expected), 'all requests in ClickHouse');
    await eventually(consumerIdle, 'every message acknowledged');
    expect(metrics.batchesIngested).toBeGreaterThanOrEqual(120);
    // One series per message: batched into inserts of at most flushMaxRows, not one per message.
    expect(Math.max(...insertSizes)).toBeLessThanOrEqual(50);
    expect(insertSizes.length).toBeLessThan(60);
  });

  it('bounds an insert by histogram bucket rows too, not only by series', async () => {
    insertBucketSizes.length = 0;
    // 300 distinct latencies per series: ~300 bucket rows each, 4 series a batch.
    const wide = evenly(300, 1_000, 5_000_000);
    for (let seq = 0; seq < 10; seq += 1) {
      const one = batch(seq, [1, 2, 3, 4].map((n) => series({ rollout: 'wide', region: `r${n}`, latenciesUs: wide })), { proxyId: 'proxy-w' });
      await publish(one, one.batchId, 'proxy-w');
    }
    await eventually(async () => sameTotals(await totals('wide'), 12_000), 'the wide batches in ClickHouse');
    const perBatch = insertBucketSizes.length === 0 ? 0 : Math.max(...insertBucketSizes);
    // 40 series is below flushMaxRows; the bucket bound cut the inserts (one batch may overshoot).
    expect(insertBucketSizes.length).toBeGreaterThan(1);
    expect(perBatch).toBeLessThan(1_000 + 4 * 300);
  });

  it('counts a batch delivered twice once', async () => {
    const before = metrics.batchesIngested;
    const one = batch(1, [series({ rollout: 'redelivered', latenciesUs: [1_000, 2_000, 3_000] })], { proxyId: 'proxy-r' });
    // Different message ids get past JetStream's de-duplication, as a re-publish after the
    // duplicate window would; the same batchId must still be counted once.
    await publish(one, 'first-delivery', 'proxy-r');
    await publish(one, 'second-delivery', 'proxy-r');
    await eventually(() => metrics.batchesIngested >= before + 2, 'both deliveries ingested');
    expect(await totals('redelivered')).toEqual({ requests: 3, latencies: 3 });
  });

  it('terminates messages that can never be stored, counts them by kind, and stores the good ones', async () => {
    const good = (seq: number) => batch(seq, [series({ rollout: 'mixed', latenciesUs: [1_000] })], { proxyId: 'proxy-m' });
    await publish(good(1), 'mixed-1', 'proxy-m');
    await publish('{"schema": "graylane.metric-batch/v1", "batchId": ', 'bad-json-1', 'proxy-m');
    await publish('not json at all', 'bad-json-2', 'proxy-m');
    await publish({ ...good(2), schema: 'graylane.metric-batch/v0' }, 'old-schema', 'proxy-m');
    await publish({ ...good(3), seq: -1 }, 'invalid', 'proxy-m');
    const corrupt = good(4);
    corrupt.series[0]!.latency = { layout: HISTOGRAM_LAYOUT, buckets: [[100_000, 1]] };
    await publish(corrupt, 'corrupt', 'proxy-m');
    // Forged: 10^16 requests in one series (its histogram holds one).
    const forged = good(6);
    forged.series[0]!.count = 1e16;
    await publish(forged, 'forged-count', 'proxy-m');
    await publish({ ...good(7), windowStartMs: Date.now() + 3_600_000, windowEndMs: Date.now() + 3_601_000 }, 'future', 'proxy-m');
    await publish(good(5), 'mixed-5', 'proxy-m');

    await eventually(async () => sameTotals(await totals('mixed'), 2), 'the good batches in ClickHouse');
    expect(metrics.rejected).toEqual({
      bad_json: 2,
      unknown_schema: 1,
      invalid_batch: 1,
      corrupt_histogram: 1,
      insert_rejected: 0,
      unsafe_number: 1,
      count_mismatch: 0,
      implausible_count: 0,
      out_of_window: 1,
    });
    // Terminated, not left for redelivery.
    await eventually(consumerIdle, 'no message pending or redelivered');
    expect(consumer.running).toBe(true);
  });

  it('stores a batch from a proxy whose clock is an hour off at the stream time, and counts it', async () => {
    const skewed = batch(1, [series({ rollout: 'skewed', latenciesUs: [1_000, 2_000] })], {
      proxyId: 'proxy-skew',
      windowStartMs: Date.now() - 3_600_000,
    });
    await publish(skewed, skewed.batchId, 'proxy-skew');
    await eventually(async () => sameTotals(await totals('skewed'), 2), 'the skewed batch in ClickHouse');
    expect(metrics.corrected.clock_skew).toBe(1);
    const result = await client.query({
      query: `SELECT toUnixTimestamp(max(ts)) AS value FROM ${DATABASE}.request_counts FINAL WHERE rollout = 'skewed'`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ value: string | number }>();
    expect(Math.abs(Number(row?.value) * 1000 - Date.now())).toBeLessThan(60_000);
  });

  it('drops only the batch ClickHouse refuses, counted, and stores the others of the same insert', async () => {
    const good = batch(1, [series({ rollout: 'refused', latenciesUs: [1_000] })], { proxyId: 'proxy-fine' });
    const poison = batch(1, [series({ rollout: 'refused', latenciesUs: [1_000, 1_000] })], { proxyId: 'poison' });
    await publish(good, good.batchId, 'proxy-fine');
    await publish(poison, poison.batchId, 'poison');
    await eventually(() => metrics.rejected.insert_rejected === 1, 'the refused batch counted');
    await eventually(async () => sameTotals(await totals('refused'), 1), 'the good batch in ClickHouse');
    await eventually(consumerIdle, 'no message left for redelivery');
    expect(consumer.running).toBe(true);
  });

  it('does not acknowledge while ClickHouse is down, and stores everything once it is back', async () => {
    const failuresBefore = metrics.insertFailures;
    await clickhouseServer.kill();
    for (let seq = 0; seq < 10; seq += 1) {
      const one = batch(seq, [series({ rollout: 'outage', latenciesUs: [2_000, 4_000] })], { proxyId: 'proxy-o' });
      await publish(one, one.batchId, 'proxy-o');
    }
    await eventually(() => metrics.insertFailures > failuresBefore + 1, 'failed inserts');
    expect(await consumerIdle()).toBe(false);
    await clickhouseServer.start();
    await eventually(async () => sameTotals(await totals('outage'), 20), 'the batches after recovery');
    await eventually(consumerIdle, 'every message acknowledged after recovery');
  });
});

describe('reports over NATS and HTTP', () => {
  it('answer the same report, and typed errors for bad requests', async () => {
    const one = batch(1, [
      series({ rollout: 'reported', pool: 'stable', latenciesUs: evenly(100, 10_000, 20_000) }),
      series({ rollout: 'reported', pool: 'canary', latenciesUs: evenly(100, 30_000, 60_000) }),
      series({ rollout: 'reported', pool: 'canary', statusClass: '5xx', latenciesUs: [5_000] }),
    ], { proxyId: 'proxy-rep' });
    await publish(one, one.batchId, 'proxy-rep');
    await eventually(async () => sameTotals(await totals('reported'), 201), 'the report batch');

    const responder = startReportResponder(nc, store, logger);
    const app = buildApp({ logger, reports: store, metrics, readiness: [], verdicts: { verdicts: async () => [] }, rolloutNames: () => [] });
    try {
      const ask = async (payload: unknown): Promise<ReportReplyV1> =>
        decodeJson((await nc.request(REPORT_SUBJECT, typeof payload === 'string' ? payload : encodeJson(payload), { timeout: 5_000 })).data) as ReportReplyV1;

      const reply = await ask({ name: 'reported', sinceSeconds: 600 });
      if (!reply.ok) throw new Error(reply.error.message);
      expect(reply.report.pools.map((pool) => [pool.pool, pool.requests, pool.errors])).toEqual([
        ['stable', 100, 0],
        ['canary', 101, 1],
      ]);
      expect(reply.report.pools[1]!.p50Ms).toBeGreaterThan(reply.report.pools[0]!.p99Ms);

      const http = (await app.inject({ url: '/api/v1/reports/reported?since=10m' })).json<ReportV1>();
      expect(http.pools).toEqual(reply.report.pools);

      expect(await ask({ name: 'nobody', sinceSeconds: 60 })).toMatchObject({ ok: true, report: { pools: [] } });
      expect(await ask({ name: 'reported', sinceSeconds: 0 })).toMatchObject({
        ok: false,
        error: { code: 'GRAYLANE_VALIDATION', field: '/sinceSeconds' },
      });
      expect(await ask('{nope')).toMatchObject({ ok: false, error: { code: 'GRAYLANE_BAD_JSON' } });
    } finally {
      await responder.drain();
      await app.close();
    }
  });
});
