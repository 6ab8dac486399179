import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { metricsSubject, type ReportV1 } from '@graylane/contracts';
import { connectNats, createLogger, encodeJson, type NatsConnection } from '@graylane/runtime';
import { differencesFromDoc, parsePrometheusText, startClickHouse, startNats, type RunningServer } from '@graylane/testkit';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, series } from './test-support/metric-batches.js';

// The built service, as operators start it: run `pnpm build` first.
const MAIN = join(import.meta.dirname, '..', 'dist', 'main.js');
const logger = createLogger('analytics-test', 'silent');

let natsServer: RunningServer;
let clickhouseServer: RunningServer;
let nc: NatsConnection;
let service: ChildProcess | undefined;
let output = '';
let base = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; service output:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run pnpm build before the tests`);
  [natsServer, clickhouseServer] = await Promise.all([startNats(), startClickHouse()]);
  nc = await connectNats(natsServer.url, logger, { name: 'analytics-main-test', waitForServer: false });
});

afterAll(async () => {
  service?.kill('SIGKILL');
  await nc?.close();
  await Promise.all([natsServer?.stop(), clickhouseServer?.stop()]);
});

describe('node dist/main.js', () => {
  it('waits for ClickHouse, ingests, reports, and shuts down on SIGTERM', async () => {
    // ClickHouse is down at start: the service must come up anyway and wait for it.
    await clickhouseServer.kill();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        PORT: String(port),
        GRAYLANE_NATS_URL: natsServer.url,
        GRAYLANE_CLICKHOUSE_URL: clickhouseServer.url,
        GRAYLANE_CLICKHOUSE_DATABASE: 'analytics_main_test',
        GRAYLANE_ANALYTICS_FLUSH_MAX_MS: '100',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    await eventually(() => fetch(`${base}/healthz`), (response) => response.ok, '/healthz');
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ checks: { nats: true, clickhouse: false } });

    await clickhouseServer.start();
    await eventually(() => fetch(`${base}/readyz`), (response) => response.status === 200, '/readyz 200', 60_000);

    const one = batch(1, [series({ rollout: 'main', latenciesUs: [10_000, 20_000, 30_000] })], { proxyId: 'proxy-main' });
    await jetstream(nc).publish(metricsSubject('proxy-main'), encodeJson(one), { msgID: one.batchId });
    const report = await eventually(
      async () => (await fetch(`${base}/api/v1/reports/main?since=5m`)).json() as Promise<ReportV1>,
      (value) => value.pools[0]?.requests === 3,
      'the report',
    );
    expect(report.pools[0]).toMatchObject({ pool: 'stable', version: 'v1', requests: 3, errors: 0 });
    // The rows can be visible before the insert's response reaches the service and it counts them.
    await eventually(
      async () => (await fetch(`${base}/metrics`)).text(),
      (text) => text.includes('graylane_analytics_batches_ingested_total 1\n'),
      'the batch counted in /metrics',
    );
    // The real service's exposition parses strictly, matches docs/metrics.md, and asks JetStream for the consumer's backlog.
    const families = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    expect(differencesFromDoc(families, ['analytics'])).toEqual([]);
    const backlog = families.get('graylane_analytics_consumer_pending_messages')?.samples ?? [];
    expect(backlog.find((sample) => sample.labels.state === 'undelivered')?.value).toBe(0);

    const exited = new Promise<number | null>((resolve) => service?.once('exit', resolve));
    service.kill('SIGTERM');
    expect(await exited).toBe(0);
    service = undefined;
    // pino JSON on stdout, one object per line.
    for (const line of output.trim().split('\n')) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
  });
});
