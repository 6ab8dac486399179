import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { EVENTS_STREAM } from '@graylane/contracts';
import { asGraylaneError, decodeJson, ensureDurableConsumer, ensureEventsStream, type Logger, type NatsConnection } from '@graylane/runtime';
import type { CommandPlan, TableAt } from '../plan/plan-core.js';
import type { CommandService } from '../commands/command-service.js';

/** An event is one small write; if it is not acked by then, another replica may take it. */
const ACK_WAIT_MS = 10_000;

/** One kind of event from the events stream that the config service applies as a config write. */
export interface EventPlanConsumer<E extends { eventId: string; rollout: string }> {
  /** Durable consumer shared by config replicas. */
  consumer: string;
  subject: string;
  /** Checks the decoded JSON against the event's schema (throws on a malformed event). */
  parse: (value: unknown) => E;
  /** For log lines: "rollback event", "guardrail pause". */
  what: string;
  /** The write the event asks for, or why it changes nothing (a plain string, logged). */
  plan: (event: E, current: TableAt, now: Date) => CommandPlan | string;
  /** Logged as a warning once the write landed. */
  applied: string;
}

/**
 * Applies events from the events stream with a durable consumer shared by config replicas. An
 * event is acked after its write (or after finding nothing to do), so a crash before the ack
 * redelivers it and the plan makes the second delivery a no-op; a malformed event is dropped, a
 * retryable failure redelivered. Returns a stopper.
 */
export async function consumeEventPlans<E extends { eventId: string; rollout: string }>(
  nc: NatsConnection,
  service: CommandService,
  logger: Logger,
  kind: EventPlanConsumer<E>,
): Promise<() => Promise<void>> {
  await ensureEventsStream(nc);
  await ensureDurableConsumer(nc, EVENTS_STREAM, { name: kind.consumer, filterSubject: kind.subject, ackWaitMs: ACK_WAIT_MS });
  const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, kind.consumer);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 16 });
  const done = (async () => {
    try {
      for await (const msg of messages) {
        let event: E;
        try {
          event = kind.parse(decodeJson(msg.data));
        } catch (error) {
          logger.error({ err: error, seq: msg.seq }, `dropped a malformed ${kind.what}`);
          msg.term();
          continue;
        }
        const { eventId, rollout } = event;
        try {
          let skipped: string | undefined;
          const reply = await service.writeWith((current, now) => {
            const plan = kind.plan(event, current, now);
            if (typeof plan === 'string') {
              skipped = plan;
              return undefined;
            }
            return plan;
          });
          if (reply !== undefined) logger.warn({ eventId, rollout, version: reply.version }, kind.applied);
          else logger.info({ eventId, rollout, skipped }, `${kind.what} changed nothing`);
          msg.ack();
        } catch (error) {
          const failure = asGraylaneError(error);
          logger.error({ err: error, eventId }, `could not apply a ${kind.what}`);
          if (failure.retryable) msg.nak(1000);
          else msg.term();
        }
      }
    } catch (error) {
      // Without this the rejection would end the process; the durable consumer keeps the events
      // until a restart picks them up.
      logger.error({ err: error }, `${kind.what} consumer stopped; events wait in the stream`);
    }
  })();
  return async () => {
    await messages.close();
    await done;
  };
}
