// CommandService on a real NATS JetStream KV bucket: how often a command reads the store, and what
// happens when another replica writes between a command's read and its compare-and-set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { RolloutSpecV1, RoutingTableV1 } from '@graylane/contracts';
import { connectNats, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { startNats, type RunningServer } from '@graylane/testkit';
import { CommandService, type CommandServiceHooks } from './command-service.js';
import type { TableAt } from '../plan/plan-core.js';
import { RoutingTableStore } from '../store/routing-table-store.js';

const logger = pino({ level: 'silent' });
let nats: RunningServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, logger, { name: 'command-service-test', waitForServer: false });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/**
 * The real store, counting the reads the service asks for (not the one `write` makes itself to
 * tell a conflict from an outage); `beforeNextWrite` runs once, just before the next write, to
 * let another replica write first.
 */
class WatchedStore extends RoutingTableStore {
  reads = 0;
  beforeNextWrite: (() => Promise<unknown>) | undefined;
  private writing = false;

  override async read(): Promise<TableAt> {
    if (!this.writing) this.reads += 1;
    return super.read();
  }

  override async write(table: RoutingTableV1, expectedVersion: number): Promise<number> {
    const first = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    await first?.();
    this.writing = true;
    try {
      return await super.write(table, expectedVersion);
    } finally {
      this.writing = false;
    }
  }
}

async function replicas(bucket: string, hooks: CommandServiceHooks = {}): Promise<{ a: CommandService; store: WatchedStore; b: CommandService }> {
  const kv = await openConfigBucket(nc, bucket);
  const store = new WatchedStore(kv);
  return { a: new CommandService(store, logger, undefined, hooks), store, b: new CommandService(new RoutingTableStore(kv), logger) };
}

function spec(name: string, upstream = 'http://127.0.0.1:9002'): RolloutSpecV1 {
  return {
    apiVersion: 'graylane.dev/v1',
    kind: 'Rollout',
    metadata: { name },
    spec: {
      match: { pathPrefix: `/${name}` },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
      canary: { name: 'v2', upstreams: [upstream] },
      traffic: { weight: 10 },
    },
  };
}

async function weights(service: CommandService): Promise<Record<string, number>> {
  const list = await service.execute('list', {});
  if (!list.ok) throw new Error(list.error.message);
  return Object.fromEntries(list.rollouts.map((r) => [r.name, r.spec.traffic.weight]));
}

describe('CommandService', () => {
  it('reads the store once per command: the write goes out at the version the plan was made on', async () => {
    const { a, store } = await replicas('read_once');
    expect(await a.execute('apply', { spec: spec('checkout') })).toMatchObject({ ok: true, version: 1 });
    store.reads = 0;
    expect(await a.execute('weight', { name: 'checkout', weight: 20 })).toMatchObject({ ok: true, version: 2 });
    expect(store.reads).toBe(1);
    store.reads = 0;
    expect(await a.execute('get', { name: 'checkout' })).toMatchObject({ ok: true, version: 2 });
    expect(store.reads).toBe(1);
    expect(a.stats).toMatchObject({ writes: 2, lastVersion: 2 });
  });

  it('re-plans an unpinned command that another replica overtook, keeping both changes', async () => {
    const { a, store, b } = await replicas('overtaken');
    await a.execute('apply', { spec: spec('checkout') });
    await a.execute('apply', { spec: spec('search') });
    store.beforeNextWrite = () => b.execute('weight', { name: 'search', weight: 35 });
    store.reads = 0;
    expect(await a.execute('weight', { name: 'checkout', weight: 25 })).toMatchObject({ ok: true, version: 4 });
    expect(store.reads).toBe(2); // the command's read, then the re-plan's after the failed compare-and-set
    expect(await weights(a)).toEqual({ checkout: 25, search: 35 });
  });

  it('fails a pinned command that another replica overtook with a version conflict, writing nothing', async () => {
    const { a, store, b } = await replicas('overtaken_pinned');
    await a.execute('apply', { spec: spec('checkout') });
    store.beforeNextWrite = () => b.execute('weight', { name: 'checkout', weight: 40 });
    const reply = await a.execute('weight', { name: 'checkout', weight: 25, expectedVersion: 1 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'GRAYLANE_VERSION_CONFLICT' } });
    expect(await a.execute('get', { name: 'checkout' })).toMatchObject({ version: 2, rollouts: [{ spec: { traffic: { weight: 40 } } }] });
  });

  it('re-plans with the service upstream policy, not the default one', async () => {
    const { a, store, b } = await replicas('overtaken_policy', { upstreamPolicy: { allowLinkLocal: true } });
    await a.execute('apply', { spec: spec('checkout') });
    store.beforeNextWrite = () => b.execute('weight', { name: 'checkout', weight: 30 });
    const reply = await a.execute('apply', { spec: spec('metadata', 'http://169.254.169.254') });
    expect(reply).toMatchObject({ ok: true, version: 3 });
    expect(await weights(a)).toEqual({ checkout: 30, metadata: 10 });
  });
});
