// Who did it: the actor history records comes from the authenticated identity (the v2 subject
// over NATS, the token's name over HTTP), never from the body, on a real NATS JetStream KV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { commandSubject, commandSubjectV2, type CommandReplyV1, type RolloutSpecV1 } from '@graylane/contracts';
import { connectNats, decodeJson, encodeJson, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { rolloutManifest, startNats, type RunningServer } from '@graylane/testkit';
import { buildApp } from '../app.js';
import { CommandService } from '../commands/command-service.js';
import { configApiAuthFrom } from '../http/token-identities.js';
import { RoutingTableStore } from '../store/routing-table-store.js';
import { serveCommands, type CommandSubscriptions } from './command-responder.js';

const logger = pino({ level: 'silent' });
const ALICE_TOKEN = 'alice-0123456789abcdef';
let nats: RunningServer;
let nc: NatsConnection;
let service: CommandService;
let subscriptions: CommandSubscriptions;

const spec: RolloutSpecV1 = rolloutManifest();

async function request(subject: string, body: unknown): Promise<CommandReplyV1> {
  return decodeJson((await nc.request(subject, encodeJson(body), { timeout: 5000 })).data) as CommandReplyV1;
}

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, logger, { name: 'actor-test', waitForServer: false });
  service = new CommandService(new RoutingTableStore(await openConfigBucket(nc)), logger);
  subscriptions = serveCommands(nc, service, logger, { acceptV1: false });
});

afterAll(async () => {
  subscriptions?.unsubscribe();
  await nc?.close();
  await nats?.stop();
});

describe('the authenticated actor', () => {
  it('over NATS is the identity of the v2 subject; the body only asks', async () => {
    expect(await request(commandSubjectV2('alice', 'apply'), { spec, actor: 'alice' })).toMatchObject({ ok: true });
    expect(await request(commandSubjectV2('alice', 'weight'), { name: 'checkout', weight: 20, actor: 'bob', reason: 'more' })).toMatchObject({ ok: true });
    const history = await request(commandSubjectV2('alice', 'history'), { name: 'checkout' });
    expect(history.ok && history.history?.map((h) => [h.actor, h.reason ?? ''])).toEqual([
      ['alice', 'more (requested actor "bob")'],
      ['alice', ''],
    ]);
  });

  it('refuses v1 commands, which name nobody, when told to', async () => {
    const reply = await request(commandSubject('weight'), { name: 'checkout', weight: 0, actor: 'alice' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'GRAYLANE_UNAUTHORIZED' } });
    expect((await service.read()).table.rollouts.checkout?.spec.traffic.weight).toBe(20);
  });

  it('over HTTP is the name of the bearer token', async () => {
    const app = buildApp({ service, auth: configApiAuthFrom({ GRAYLANE_CONFIG_TOKENS: `alice:${ALICE_TOKEN}` }), isReady: () => true, logger });
    const post = (verb: string, body: unknown, token?: string) =>
      app.inject({ method: 'POST', url: `/api/v1/commands/${verb}`, payload: body as object, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    expect((await post('weight', { name: 'checkout', weight: 30, actor: 'alice' })).statusCode).toBe(401);
    expect((await post('weight', { name: 'checkout', weight: 30, actor: 'alice' }, 'alice-wrong-token-0000')).statusCode).toBe(401);
    expect((await post('weight', { name: 'checkout', weight: 30, actor: 'mallory' }, ALICE_TOKEN)).statusCode).toBe(200);
    const history = (await post('history', { name: 'checkout' }, ALICE_TOKEN)).json<CommandReplyV1>();
    expect(history.ok && history.history?.[0]).toMatchObject({ actor: 'alice', reason: 'requested actor "mallory"' });
    await app.close();
  });
});
