import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { EVENTS_STREAM, parseWith, ROLLBACK_CONSUMER, ROLLBACK_SUBJECT, RollbackEventV1 } from '@graylane/contracts';
import { asGraylaneError, decodeJson, ensureDurableConsumer, ensureEventsStream, type Logger, type NatsConnection } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { planRollbackEvent, type RollbackSkip } from '../rollback/plan-rollback.js';

/** A rollback is one small write; if it is not acked by then, another replica may take it. */
const ACK_WAIT_MS = 10_000;

/**
 * Applies rollback events from analytics with the durable consumer shared by config replicas.
 * An event is acked after its version is written (or found already applied), so a crash before
 * the ack redelivers it and the remembered event id makes the second delivery a no-op. Returns
 * a stopper.
 */
export async function consumeRollbacks(nc: NatsConnection, service: CommandService, logger: Logger): Promise<() => Promise<void>> {
  await ensureEventsStream(nc);
  await ensureDurableConsumer(nc, EVENTS_STREAM, { name: ROLLBACK_CONSUMER, filterSubject: ROLLBACK_SUBJECT, ackWaitMs: ACK_WAIT_MS });
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, ROLLBACK_CONSUMER);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 16 });
  const done = (async () => {
    try {
      for await (const msg of messages) {
        let event: RollbackEventV1;
        try {
          event = parseWith(RollbackEventV1, decodeJson(msg.data), 'rollback event');
        } catch (error) {
          logger.error({ err: error, seq: msg.seq }, 'dropped a malformed rollback event');
          msg.term();
          continue;
        }
        try {
          let skipped: RollbackSkip | undefined;
          const reply = await service.writeWith((current, now) => {
            const plan = planRollbackEvent(event, current, now);
            if (typeof plan === 'string') {
              skipped = plan;
              return undefined;
            }
            return plan;
          });
          if (reply !== undefined) logger.warn({ eventId: event.eventId, rollout: event.rollout, version: reply.version }, 'rolled back');
          else logger.info({ eventId: event.eventId, rollout: event.rollout, skipped }, 'rollback event changed nothing');
          msg.ack();
        } catch (error) {
          const failure = asGraylaneError(error);
          logger.error({ err: error, eventId: event.eventId }, 'could not apply a rollback event');
          if (failure.retryable) msg.nak(1000);
          else msg.term();
        }
      }
    } catch (error) {
      // Without this the rejection would end the process; the durable consumer keeps the events
      // until a restart picks them up.
      logger.error({ err: error }, 'rollback consumer stopped; events wait in the stream');
    }
  })();
  return async () => {
    await messages.close();
    await done;
  };
}
