import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { EVENTS_STREAM, GUARDRAIL_PAUSE_CONSUMER, GUARDRAIL_PAUSE_SUBJECT, GuardrailPauseEventV1, parseWith } from '@graylane/contracts';
import { asGraylaneError, decodeJson, ensureDurableConsumer, ensureEventsStream, type Logger, type NatsConnection } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { planGuardrailPause, type PauseSkip } from '../rollback/plan-guardrail-pause.js';

/** A pause is one small write; if it is not acked by then, another replica may take it. */
const ACK_WAIT_MS = 10_000;

/**
 * Applies analytics' low-traffic pauses with a durable consumer shared by config replicas, as
 * rollback-consumer.ts applies rollbacks: acked after the write (or after finding nothing to
 * do), so a crash before the ack redelivers it and the second delivery finds the rollout paused.
 * Returns a stopper.
 */
export async function consumeGuardrailPauses(nc: NatsConnection, service: CommandService, logger: Logger): Promise<() => Promise<void>> {
  await ensureEventsStream(nc);
  await ensureDurableConsumer(nc, EVENTS_STREAM, { name: GUARDRAIL_PAUSE_CONSUMER, filterSubject: GUARDRAIL_PAUSE_SUBJECT, ackWaitMs: ACK_WAIT_MS });
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, GUARDRAIL_PAUSE_CONSUMER);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 16 });
  const done = (async () => {
    try {
      for await (const msg of messages) {
        let event: GuardrailPauseEventV1;
        try {
          event = parseWith(GuardrailPauseEventV1, decodeJson(msg.data), 'guardrail pause event');
        } catch (error) {
          logger.error({ err: error, seq: msg.seq }, 'dropped a malformed guardrail pause event');
          msg.term();
          continue;
        }
        try {
          let skipped: PauseSkip | undefined;
          const reply = await service.writeWith((current, now) => {
            const plan = planGuardrailPause(event, current, now);
            if (typeof plan === 'string') {
              skipped = plan;
              return undefined;
            }
            return plan;
          });
          if (reply !== undefined) logger.warn({ eventId: event.eventId, rollout: event.rollout, version: reply.version }, 'paused: too little traffic to judge');
          else logger.info({ eventId: event.eventId, rollout: event.rollout, skipped }, 'guardrail pause changed nothing');
          msg.ack();
        } catch (error) {
          const failure = asGraylaneError(error);
          logger.error({ err: error, eventId: event.eventId }, 'could not apply a guardrail pause');
          if (failure.retryable) msg.nak(1000);
          else msg.term();
        }
      }
    } catch (error) {
      logger.error({ err: error }, 'guardrail pause consumer stopped; events wait in the stream');
    }
  })();
  return async () => {
    await messages.close();
    await done;
  };
}
