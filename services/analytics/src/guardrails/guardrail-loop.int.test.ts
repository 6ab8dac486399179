import { EVENTS_STREAM, ROLLBACK_SUBJECT, type RolloutRecordV1, type RoutingTableV1 } from '@graylane/contracts';
import { connectNats, createLogger, decodeJson, type NatsConnection } from '@graylane/runtime';
import { startClickHouse, startNats, type RunningServer } from '@graylane/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsRecorder } from '../nats/events-recorder.js';
import { rollbackPublisher } from '../nats/rollback-publisher.js';
import { createClickHouse, type ClickHouseClient } from '../store/clickhouse.js';
import { EventStore } from '../store/event-store.js';
import { MetricsStore } from '../store/metrics-store.js';
import { applyMigrations } from '../store/migrations.js';
import { VerdictStore } from '../store/verdict-store.js';
import { batch, series } from '../test-support/metric-batches.js';
import { GuardrailLoop } from './guardrail-loop.js';
import type { VersionedTable } from './routing-table-watch.js';

const logger = createLogger('guardrail-test', 'silent');
const DATABASE = 'guardrail_test';
const INTERVAL_MS = 5_000;
const CONFIG_VERSION = 7;

let natsServer: RunningServer;
let clickhouseServer: RunningServer;
let nc: NatsConnection;
let client: ClickHouseClient;
let store: MetricsStore;
let verdictStore: VerdictStore;
let publish: Awaited<ReturnType<typeof rollbackPublisher>>;

beforeAll(async () => {
  [natsServer, clickhouseServer] = await Promise.all([startNats(), startClickHouse()]);
  nc = await connectNats(natsServer.url, logger, { name: 'guardrail-test', waitForServer: false });
  client = createClickHouse(clickhouseServer.url, logger);
  await applyMigrations(client, DATABASE, logger);
  store = new MetricsStore(client, DATABASE);
  verdictStore = new VerdictStore(client, DATABASE);
  publish = await rollbackPublisher(nc);
});

afterAll(async () => {
  await nc?.close();
  await client?.close();
  await Promise.all([natsServer?.stop(), clickhouseServer?.stop()]);
});

function record(name: string): RolloutRecordV1 {
  return {
    name,
    state: 'progressing',
    updatedAt: new Date().toISOString(),
    updatedBy: 'test',
    spec: {
      match: { pathPrefix: `/${name}` },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:1'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:2'] },
      traffic: { weight: 50 },
      analysis: { interval: '5s', minRequests: 200, maxP99Ratio: 1.5, consecutiveFailures: 2 },
    },
  };
}

const table: VersionedTable = {
  version: CONFIG_VERSION,
  table: {
    schema: 'graylane.routing-table/v1',
    rollouts: Object.fromEntries(['slow', 'slightly', 'quiet'].map((name) => [name, record(name)])),
  } satisfies RoutingTableV1,
};

/** 10 ms ± 5 ms with a 1 % tail to 30 ms, times `factor`, in µs. */
function latencies(n: number, factor: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const u = ((i * 7919) % n) / n;
    const ms = u < 0.99 ? 5 + 10 * u : 15 + 15 * ((u - 0.99) / 0.01);
    return Math.round(ms * factor * 1000);
  });
}

/** One window of traffic for `rollout`, from two proxies. */
async function traffic(rollout: string, windowEndMs: number, perSide: number, canaryFactor: number): Promise<void> {
  const batches = ['p1', 'p2'].map((proxyId, i) =>
    batch(
      Math.floor(windowEndMs / 1000) * 10 + i,
      [
        series({ rollout, pool: 'stable', latenciesUs: latencies(perSide / 2, 1) }),
        series({ rollout, pool: 'canary', latenciesUs: latencies(perSide / 2, canaryFactor) }),
      ],
      { proxyId: `${rollout}-${proxyId}`, windowStartMs: windowEndMs - INTERVAL_MS + 1_000 * (i + 1) },
    ),
  );
  await store.insertBatches(batches);
}

async function rollbackMessages(): Promise<{ rollout: string; eventId: string }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  const found: { rollout: string; eventId: string }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const msg = await jsm.streams.getMessage(EVENTS_STREAM, { seq }).catch(() => undefined);
    if (msg?.subject === ROLLBACK_SUBJECT) found.push(decodeJson(msg.data) as { rollout: string; eventId: string });
  }
  return found;
}

describe('GuardrailLoop against ClickHouse and JetStream', () => {
  it('rolls back once after consecutive failures, with two replicas, and passes or withholds judgement otherwise', async () => {
    // Windows in the past, so the test does not wait for wall-clock time: a fake clock walks them.
    const first = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS - 10 * INTERVAL_MS;
    const windows = [first, first + INTERVAL_MS, first + 2 * INTERVAL_MS];
    for (const end of windows) {
      await traffic('slow', end, 1_000, 3);
      await traffic('slightly', end, 1_000, 1.1);
      await traffic('quiet', end, 100, 3);
    }
    let now = 0;
    const replica = (): GuardrailLoop =>
      new GuardrailLoop(
        { pools: store, verdicts: verdictStore, publishRollback: publish, table: () => table, now: () => now, logger },
        { settleMs: 2_000, tickMs: 1_000 },
      );
    const replicas = [replica(), replica()];
    const outcomes: Record<string, string[]> = {};
    for (const end of windows) {
      now = end + 2_000;
      for (const loop of replicas) {
        for (const verdict of await loop.evaluateDue()) {
          (outcomes[`${verdict.rollout}`] ??= []).push(`${verdict.outcome}/${verdict.action}`);
        }
      }
    }
    // Each replica judged each window the same way; the second failure in a row acts.
    expect(outcomes.slow).toEqual(['fail/none', 'fail/none', 'fail/rollback', 'fail/rollback', 'fail/none', 'fail/none']);
    expect(outcomes.slightly).toEqual(Array(6).fill('pass/none'));
    expect(outcomes.quiet).toEqual(Array(6).fill('inconclusive/none'));

    // Both replicas published the breach; JetStream kept one event.
    const events = await rollbackMessages();
    expect(events).toEqual([expect.objectContaining({ rollout: 'slow', eventId: `slow:${CONFIG_VERSION}:${windows[1]}` })]);
    expect(events[0]).toMatchObject({
      breach: 'p99-ratio',
      window: { startMs: windows[1]! - INTERVAL_MS, endMs: windows[1] },
      stable: { version: 'v1', requests: 1_000 },
      canary: { version: 'v2', requests: 1_000 },
    });

    // One stored verdict per rollout and window, however many replicas wrote it.
    const stored = await verdictStore.verdicts('slow', 3_600);
    expect(stored.map((verdict) => verdict.window.endMs)).toEqual([...windows].reverse());
    expect(stored[1]).toMatchObject({ action: 'rollback', consecutiveFailures: 2 });
    expect(stored[1]!.canary.p99Ms / stored[1]!.stable.p99Ms).toBeGreaterThan(2.5);
    expect((await verdictStore.verdicts('quiet', 3_600))[0]!.reason).toMatch(/^too little traffic/);
  });

  it('copies the events stream into the events table once', async () => {
    const recorder = await EventsRecorder.start(nc, new EventStore(client, DATABASE), logger);
    try {
      const deadline = Date.now() + 15_000;
      let rows: { schema: string; rollouts: string[]; event_id: string }[] = [];
      while (Date.now() < deadline) {
        const result = await client.query({ query: `SELECT schema, rollouts, event_id FROM ${DATABASE}.events FINAL`, format: 'JSONEachRow' });
        rows = await result.json();
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(rows).toEqual([{ schema: 'graylane.rollback-event/v1', rollouts: ['slow'], event_id: expect.stringMatching(/^slow:7:\d+$/) as unknown }]);
    } finally {
      await recorder.stop();
    }
  });
});
