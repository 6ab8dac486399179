// Two config replicas on one real NATS JetStream KV bucket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { RolloutSpecV1 } from '@graylane/contracts';
import { connectNats, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { rolloutManifest, startNats, type RunningServer } from '@graylane/testkit';
import { CommandService } from '../commands/command-service.js';
import { RoutingTableStore } from './routing-table-store.js';

const logger = pino({ level: 'silent' });
let nats: RunningServer;
const connections: NatsConnection[] = [];

async function replica(bucket: string): Promise<CommandService> {
  const nc = await connectNats(nats.url, logger, { name: 'test', waitForServer: false });
  connections.push(nc);
  return new CommandService(new RoutingTableStore(await openConfigBucket(nc, bucket)), logger);
}

const spec: RolloutSpecV1 = rolloutManifest();

beforeAll(async () => {
  nats = await startNats();
});

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await nats?.stop();
});

describe('RoutingTableStore with two replicas', () => {
  it('lets one of two conflicting writes win and gives the other a version conflict', async () => {
    const [a, b] = await Promise.all([replica('cas_test'), replica('cas_test')]);
    const created = await a.execute('apply', { spec });
    expect(created).toMatchObject({ ok: true, version: 1 });

    const [first, second] = await Promise.all([
      a.execute('weight', { name: 'checkout', weight: 20, expectedVersion: 1 }),
      b.execute('weight', { name: 'checkout', weight: 40, expectedVersion: 1 }),
    ]);
    const outcomes = [first, second].map((reply) => (reply.ok ? 'ok' : reply.error.code)).sort();
    expect(outcomes).toEqual(['GRAYLANE_VERSION_CONFLICT', 'ok']);

    const winner = first.ok ? 20 : 40;
    const read = await b.execute('get', { name: 'checkout' });
    expect(read).toMatchObject({ ok: true, version: 2, rollouts: [{ spec: { traffic: { weight: winner } } }] });
  });

  it('re-plans an unpinned command when another replica wrote first, losing neither change', async () => {
    const [a, b] = await Promise.all([replica('retry_test'), replica('retry_test')]);
    await a.execute('apply', { spec });
    await a.execute('apply', { spec: { ...spec, metadata: { name: 'search' }, spec: { ...spec.spec, match: { pathPrefix: '/search' } } } });
    const replies = await Promise.all([
      a.execute('weight', { name: 'checkout', weight: 25 }),
      b.execute('weight', { name: 'search', weight: 35 }),
    ]);
    expect(replies.every((reply) => reply.ok)).toBe(true);
    const list = await a.execute('list', {});
    if (!list.ok) throw new Error(list.error.message);
    expect(Object.fromEntries(list.rollouts.map((r) => [r.name, r.spec.traffic.weight]))).toEqual({ checkout: 25, search: 35 });
    expect(list.version).toBe(4);
  });

  it('leaves the stored table unchanged when a command is rejected', async () => {
    const a = await replica('reject_test');
    await a.execute('apply', { spec });
    const rejected = await a.execute('weight', { name: 'checkout', weight: 12.345 });
    expect(rejected).toMatchObject({ ok: false, error: { code: 'GRAYLANE_VALIDATION' } });
    expect(await a.execute('get', { name: 'checkout' })).toMatchObject({ version: 1, rollouts: [{ spec: { traffic: { weight: 10 } } }] });
  });
});
