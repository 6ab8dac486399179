// Analytics' low-traffic pause, through a real JetStream events stream and config KV bucket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { jetstream } from '@nats-io/jetstream';
import { GUARDRAIL_PAUSE_SUBJECT, type GuardrailPauseEventV1, type RolloutSpecV1 } from '@graylane/contracts';
import { connectNats, encodeJson, ensureEventsStream, openConfigBucket, type NatsConnection } from '@graylane/runtime';
import { rolloutManifest, startNats, type RunningServer } from '@graylane/testkit';
import { CommandService } from '../commands/command-service.js';
import { RoutingTableStore } from '../store/routing-table-store.js';
import { consumeGuardrailPauses } from './guardrail-pause-consumer.js';

const logger = pino({ level: 'silent' });
let nats: RunningServer;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, logger, { name: 'pause-test', waitForServer: false });
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const quiet = rolloutManifest({ name: 'quiet', weight: 1 });
const spec: RolloutSpecV1 = { ...quiet, spec: { ...quiet.spec, analysis: { inconclusiveLimit: 30, onInconclusive: 'pause' } } };

describe('consumeGuardrailPauses', () => {
  it('pauses the rollout once, however often the event is published', async () => {
    const service = new CommandService(new RoutingTableStore(await openConfigBucket(nc, 'pause_test')), logger);
    expect(await service.execute('apply', { spec })).toMatchObject({ ok: true });
    const stop = await consumeGuardrailPauses(nc, service, logger);
    try {
      await ensureEventsStream(nc);
      const event: GuardrailPauseEventV1 = {
        schema: 'graylane.guardrail-pause-event/v1',
        eventId: 'quiet:1:1764662400000',
        rollout: 'quiet',
        configVersion: 1,
        canaryVersion: 'v2',
        detectedAt: new Date().toISOString(),
        inconclusiveWindows: 30,
        reason: 'guardrail could not judge v2 for 30 windows: a pass needs 200 requests per side',
      };
      const js = jetstream(nc);
      // Two replicas publishing: the stream keeps one; a later redelivery finds it paused.
      await js.publish(GUARDRAIL_PAUSE_SUBJECT, encodeJson(event), { msgID: event.eventId });
      await js.publish(GUARDRAIL_PAUSE_SUBJECT, encodeJson(event), { msgID: event.eventId });
      await js.publish(GUARDRAIL_PAUSE_SUBJECT, encodeJson({ ...event, eventId: 'quiet:1:1764662700000' }), { msgID: 'quiet:1:1764662700000' });
      const deadline = Date.now() + 10_000;
      let state = '';
      let reply: Awaited<ReturnType<CommandService['execute']>> | undefined;
      while (Date.now() < deadline && state !== 'paused') {
        reply = await service.execute('get', { name: 'quiet' });
        state = reply.ok ? (reply.rollouts[0]?.state ?? '') : '';
        if (state !== 'paused') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(reply).toMatchObject({ ok: true, version: 2, rollouts: [{ state: 'paused', updatedBy: 'graylane-analytics', spec: { traffic: { weight: 1 } } }] });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await service.execute('get', { name: 'quiet' })).toMatchObject({ version: 2 });
      const reason = reply?.ok ? reply.rollouts[0]?.reason : undefined;
      expect(reason).toMatch(/^guardrail pause quiet:1:1764662400000: guardrail could not judge v2 for 30 windows/);
    } finally {
      await stop();
    }
  });
});
