// Progressive delivery with two config replicas on one real NATS: the steps advance on their
// own, exactly one replica drives them through the KV lease, the other takes over when the
// driver is killed, and a rollback event from analytics is applied once however often delivered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG_CHANGED_SUBJECT,
  ROLLBACK_SUBJECT,
  STEP_LEASE_KEY,
  type CommandReplyV1,
  type ConfigChangedEventV1,
  type HistoryEntryV1,
  type RollbackEventV1,
  type RolloutRecordV1,
} from '@graylane/contracts';
import { connectNats, createLogger, decodeJson, encodeJson, ensureEventsStream, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { eventually, freePort, NO_UPSTREAMS, rolloutManifest, serviceLogs, startNats, startService, untilOk, type RolloutManifest, type RolloutStep, type RunningServer, type ServiceProcess } from '@graylane/testkit';

let nats: RunningServer;
let nc: NatsConnection;
const replicas = new Map<string, ServiceProcess>();
const events: ConfigChangedEventV1[] = [];

async function command(verb: string, body: unknown): Promise<Extract<CommandReplyV1, { ok: true }>> {
  const reply = decodeJson((await nc.request(`graylane.cmd.v1.${verb}`, encodeJson(body), { timeout: 5000 })).data) as CommandReplyV1;
  if (!reply.ok) throw new Error(`${verb}: ${reply.error.message}`);
  return reply;
}

async function record(name: string): Promise<RolloutRecordV1> {
  const [rollout] = (await command('get', { name })).rollouts;
  if (rollout === undefined) throw new Error('no rollout');
  return rollout;
}

function spec(name: string, steps: RolloutStep[]): RolloutManifest {
  return rolloutManifest({ name, weight: 0, steps, ...NO_UPSTREAMS });
}

function logs(): string {
  return serviceLogs([...replicas.values()]);
}

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, createLogger('steps-test', 'silent'), { name: 'steps-test', waitForServer: false });
  await ensureEventsStream(nc);
  nc.subscribe(CONFIG_CHANGED_SUBJECT, { callback: (_error, msg) => {
      events.push(decodeJson(msg.data) as ConfigChangedEventV1);
    },
  });
  for (const id of ['replica-a', 'replica-b']) {
    const port = await freePort();
    const replica = startService(id, 'services/config/dist/main.js', {
      GRAYLANE_NATS_URL: nats.url,
      PORT: String(port),
      GRAYLANE_REPLICA_ID: id,
      GRAYLANE_STEP_TICK_MS: '100',
      GRAYLANE_STEP_LEASE_MS: '1000',
    });
    replicas.set(id, replica);
    await untilOk(`${id} ready`, `http://127.0.0.1:${port}/readyz`, undefined, [replica]);
  }
});

afterAll(async () => {
  await Promise.all([...replicas.values()].map((s) => s.stop()));
  await nc?.close();
  await nats?.stop();
});

describe('progressive delivery across config replicas', () => {
  it('advances the steps on their own and survives the driving replica being killed mid-rollout', async () => {
    const steps = [
      { weight: 10, pause: '1s' },
      { weight: 40, pause: '1s' },
      { weight: 70, pause: '1s' },
      { weight: 100, pause: '1s' },
    ];
    await command('apply', { spec: spec('checkout', steps), actor: 'e2e' });
    expect(await record('checkout')).toMatchObject({ spec: { traffic: { weight: 10 } }, step: { index: 0 } });
    await eventually('second step', 5000, async () => ((await record('checkout')).step?.index === 1 ? true : undefined));

    const kv = await openConfigBucket(nc);
    const lease = await kv.get(STEP_LEASE_KEY);
    const holder = (decodeJson(lease?.value ?? new Uint8Array()) as { holder: string }).holder;
    const driver = replicas.get(holder);
    expect(driver, `lease held by ${holder}`).toBeDefined();
    driver?.child.kill('SIGKILL');

    const done = await eventually('promotion after the last step', 15_000, async () => {
      const now = await record('checkout');
      return now.state === 'promoted' ? now : undefined;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${logs()}`);
    });
    expect(done.spec).toMatchObject({ stable: { name: 'v2' }, traffic: { weight: 0 } });
    const newHolder = (decodeJson((await kv.get(STEP_LEASE_KEY))?.value ?? new Uint8Array()) as { holder: string }).holder;
    expect(newHolder).not.toBe(holder);

    // Each step was taken exactly once, in order, whichever replica drove it.
    const history = (await command('history', { name: 'checkout' })).history ?? [];
    const weights = history
      .slice()
      .reverse()
      .map((h: HistoryEntryV1) => `${h.command}:${h.state}:${JSON.stringify(h.changes.find((c) => c.path === '/spec/traffic/weight')?.to ?? '')}`);
    expect(weights).toEqual(['apply:progressing:10', 'step:progressing:40', 'step:progressing:70', 'step:progressing:100', 'step:promoted:0']);
  });

  it('applies a rollback event once however often it is delivered, and holds the steps', async () => {
    await command('apply', { spec: spec('search', [{ weight: 20, pause: '1s' }, { weight: 50, pause: '1h' }]) });
    const before = await command('get', { name: 'search' });
    const event: RollbackEventV1 = {
      schema: 'graylane.rollback-event/v1',
      eventId: 'breach-42',
      rollout: 'search',
      configVersion: before.version,
      detectedAt: new Date().toISOString(),
      breach: 'error-rate',
      reason: 'canary error rate 9.0 % is 8.9 pp above stable 0.1 % (max 1 pp)',
      window: { startMs: Date.now() - 10_000, endMs: Date.now() },
      stable: { version: 'v1', requests: 1000, errors: 1, errorRate: 0.001, p99Ms: 10 },
      canary: { version: 'v2', requests: 100, errors: 9, errorRate: 0.09, p99Ms: 11 },
    };
    // Three deliveries of the same event, as a redelivering stream or a re-publishing analytics would.
    for (let i = 0; i < 3; i += 1) nc.publish(ROLLBACK_SUBJECT, encodeJson(event));

    const rolledBack = await eventually('rolled back', 10_000, async () => {
      const now = await record('search');
      return now.state === 'rolled_back' ? now : undefined;
    });
    expect(rolledBack).toMatchObject({ spec: { traffic: { weight: 0 } }, updatedBy: 'graylane-analytics', rollbackEventIds: ['breach-42'] });
    expect(rolledBack.reason).toMatch(/breach-42 \(error-rate\): canary error rate 9\.0 %/);

    await new Promise((resolve) => setTimeout(resolve, 1500)); // past the first step's pause
    const after = await record('search');
    expect(after).toMatchObject({ state: 'rolled_back', spec: { traffic: { weight: 0 } } });
    const history = (await command('history', { name: 'search' })).history ?? [];
    expect(history.filter((h) => h.command === 'rollback')).toHaveLength(1);
    expect(history.filter((h) => h.command === 'step')).toHaveLength(0);

    const audited = events.filter((e) => e.rollouts.includes('search')).map((e) => e.command);
    expect(audited).toEqual(['apply', 'rollback']);
  });
});
