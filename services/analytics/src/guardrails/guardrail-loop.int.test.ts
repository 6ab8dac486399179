import { EVENTS_STREAM, GUARDRAIL_PAUSE_SUBJECT, ROLLBACK_SUBJECT, type AnalysisSpecV2, type RolloutRecordV1, type RoutingTableV1 } from '@graylane/contracts';
import { connectNats, createLogger, decodeJson, type NatsConnection } from '@graylane/runtime';
import { startClickHouse, startNats, type RunningServer } from '@graylane/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodedBatchOf } from '../ingest/decode-batch.js';
import { EventsRecorder } from '../nats/events-recorder.js';
import { guardrailPublishers } from '../nats/rollback-publisher.js';
import { createClickHouse, type ClickHouseClient } from '../store/clickhouse.js';
import { EventStore } from '../store/event-store.js';
import { MetricsStore } from '../store/metrics-store.js';
import { migrate } from '../test-support/schema.js';
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
let publish: Awaited<ReturnType<typeof guardrailPublishers>>;

beforeAll(async () => {
  [natsServer, clickhouseServer] = await Promise.all([startNats(), startClickHouse()]);
  nc = await connectNats(natsServer.url, logger, { name: 'guardrail-test', waitForServer: false });
  client = createClickHouse(clickhouseServer.url, logger);
  await migrate(client, DATABASE, logger);
  store = new MetricsStore(client, DATABASE);
  verdictStore = new VerdictStore(client, DATABASE);
  publish = await guardrailPublishers(nc);
});

afterAll(async () => {
  await nc?.close();
  await client?.close();
  await Promise.all([natsServer?.stop(), clickhouseServer?.stop()]);
});

function record(name: string, analysis: AnalysisSpecV2 = { interval: '5s', minRequests: 200 }): RolloutRecordV1 {
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
      analysis,
    },
  };
}

const table: VersionedTable = {
  version: CONFIG_VERSION,
  table: {
    schema: 'graylane.routing-table/v1',
    rollouts: {
      ...Object.fromEntries(['slow', 'slightly', 'quiet'].map((name) => [name, record(name)])),
      idle: record('idle', { interval: '5s', minRequests: 200, inconclusiveLimit: 2, onInconclusive: 'pause' }),
    },
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
  await store.insertBatches(batches.map(decodedBatchOf));
}

async function eventMessages(subject: string): Promise<{ rollout: string; eventId: string }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  const found: { rollout: string; eventId: string }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const msg = await jsm.streams.getMessage(EVENTS_STREAM, { seq }).catch(() => undefined);
    if (msg?.subject === subject) found.push(decodeJson(msg.data) as { rollout: string; eventId: string });
  }
  return found;
}

describe('GuardrailLoop against ClickHouse and JetStream', () => {
  it('rolls back at the first window that proves it, once, with two replicas; passes a small slowdown; withholds judgement and pauses on low traffic', async () => {
    // Windows in the past, so the test does not wait for wall-clock time: a fake clock walks them.
    const first = Math.floor(Date.now() / INTERVAL_MS) * INTERVAL_MS - 10 * INTERVAL_MS;
    const windows = [first, first + INTERVAL_MS, first + 2 * INTERVAL_MS];
    for (const end of windows) {
      await traffic('slow', end, 1_000, 3);
      await traffic('slightly', end, 1_000, 1.1);
      await traffic('quiet', end, 30, 1);
      await traffic('idle', end, 30, 1);
    }
    let now = 0;
    const replica = (): GuardrailLoop =>
      new GuardrailLoop(
        { pools: store, verdicts: verdictStore, publishRollback: publish.rollback, publishPause: publish.pause, table: () => table, now: () => now, logger },
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
    // Three times slower is proven in the first window: no streak to wait for. Each replica
    // judged the same way; neither acts twice for one config version.
    expect(outcomes.slow).toEqual(['fail/rollback', 'fail/rollback', 'fail/none', 'fail/none', 'fail/none', 'fail/none']);
    // 1.1x is real (the data are deterministic) but below the 1.2x minimum effect: never a failure.
    expect(outcomes.slightly).toEqual(Array(6).fill('pass/none'));
    // 30 requests a side a window: 90 after three windows, short of 200, so no pass yet.
    expect(outcomes.quiet).toEqual(Array(6).fill('inconclusive/none'));
    // inconclusiveLimit 2: the second window pauses (once per replica, one event kept).
    expect(outcomes.idle).toEqual(['inconclusive/none', 'inconclusive/none', 'inconclusive/pause', 'inconclusive/pause', 'inconclusive/none', 'inconclusive/none']);

    // Both replicas published the breach; JetStream kept one event.
    const events = await eventMessages(ROLLBACK_SUBJECT);
    expect(events).toEqual([expect.objectContaining({ rollout: 'slow', eventId: `slow:${CONFIG_VERSION}:${windows[0]}` })]);
    expect(events[0]).toMatchObject({
      breach: 'p99-ratio',
      window: { startMs: windows[0]! - INTERVAL_MS, endMs: windows[0] },
      stable: { version: 'v1', requests: 1_000 },
      canary: { version: 'v2', requests: 1_000 },
    });
    const pauses = await eventMessages(GUARDRAIL_PAUSE_SUBJECT);
    expect(pauses).toEqual([
      expect.objectContaining({ schema: 'graylane.guardrail-pause-event/v1', rollout: 'idle', eventId: `idle:${CONFIG_VERSION}:${windows[1]}`, inconclusiveWindows: 2 }),
    ]);
    expect((pauses[0] as unknown as { reason: string }).reason).toMatch(/could not judge v2 for 2 windows: a pass needs 200 requests per side: \d+ windows at/);

    // One stored verdict per rollout and window, however many replicas wrote it, with its evidence.
    const stored = await verdictStore.verdicts('slow', 3_600);
    expect(stored.map((verdict) => verdict.window.endMs)).toEqual([...windows].reverse());
    const rollback = stored[2]!;
    expect(rollback).toMatchObject({ schema: 'graylane.verdict/v2', action: 'rollback', evidence: { windows: 1, falseRollbackBudget: 0.0025 } });
    expect(rollback.canary.p99Ms / rollback.stable.p99Ms).toBeGreaterThan(2.5);
    const median = 'tests' in rollback ? rollback.tests.find((t) => t.test === 'latency-median') : undefined;
    expect(median).toMatchObject({ breached: true, canaryRequests: 1_000, pooledRequests: 2_000, eThreshold: 1200 });
    expect(median!.canaryMarked).toBeGreaterThan(950);
    expect(median!.eValue).toBeGreaterThan(1200);
    expect(median!.effect).toBeGreaterThan(2.5);
    expect(stored[0]).toMatchObject({ evidence: { windows: 3 }, canary: { requests: 3_000 } });
    expect((await verdictStore.verdicts('quiet', 3_600))[0]!.reason).toMatch(/^too little traffic/);
    // The evidence columns the migration added are filled.
    const columns = await client.query({ query: `SELECT schema, evidence_windows, max_e_value FROM ${DATABASE}.verdicts FINAL WHERE rollout = 'slow' ORDER BY window_end_ms`, format: 'JSONEachRow' });
    const rows = await columns.json<{ schema: string; evidence_windows: number; max_e_value: number }>();
    expect(rows.map((r) => [r.schema, Number(r.evidence_windows)])).toEqual([
      ['graylane.verdict/v2', 1],
      ['graylane.verdict/v2', 2],
      ['graylane.verdict/v2', 3],
    ]);
    expect(Number(rows[0]!.max_e_value)).toBeGreaterThan(1200);
  });

  it('copies the events stream into the events table once', async () => {
    const recorder = await EventsRecorder.start(nc, new EventStore(client, DATABASE), logger);
    try {
      const deadline = Date.now() + 15_000;
      let rows: { schema: string; rollouts: string[]; event_id: string }[] = [];
      while (Date.now() < deadline) {
        const result = await client.query({ query: `SELECT schema, rollouts, event_id FROM ${DATABASE}.events FINAL`, format: 'JSONEachRow' });
        rows = await result.json();
        if (rows.length > 1) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(rows).toEqual(
        expect.arrayContaining([
          { schema: 'graylane.rollback-event/v1', rollouts: ['slow'], event_id: expect.stringMatching(/^slow:7:\d+$/) as unknown },
          { schema: 'graylane.guardrail-pause-event/v1', rollouts: ['idle'], event_id: expect.stringMatching(/^idle:7:\d+$/) as unknown },
        ]),
      );
    } finally {
      await recorder.stop();
    }
  });
});
