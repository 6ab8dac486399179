import { GUARDRAIL_PAUSE_SUBJECT, ROLLBACK_SUBJECT, type GuardrailPauseEventV1, type RollbackEventV1 } from '@graylane/contracts';
import { encodeJson, ensureEventsStream, type NatsConnection, type StreamOptions } from '@graylane/runtime';
import { jetstream } from '@nats-io/jetstream';

/** Publishes one guardrail event; 'duplicate' when the stream already had its `eventId`. */
export type EventPublisher<E> = (event: E) => Promise<'published' | 'duplicate'>;

/**
 * Publishers of the guardrail's events (rollback, low-traffic pause) to the events stream with
 * their `eventId` as the JetStream message id, so the same event published by several replicas
 * (or again after a retry) is stored once.
 */
export async function guardrailPublishers(
  nc: NatsConnection,
  stream: StreamOptions = {},
): Promise<{ rollback: EventPublisher<RollbackEventV1>; pause: EventPublisher<GuardrailPauseEventV1> }> {
  await ensureEventsStream(nc, stream);
  const js = jetstream(nc);
  const publisher =
    <E extends { eventId: string }>(subject: string): EventPublisher<E> =>
    async (event) => {
      const ack = await js.publish(subject, encodeJson(event), { msgID: event.eventId });
      return ack.duplicate ? 'duplicate' : 'published';
    };
  return { rollback: publisher<RollbackEventV1>(ROLLBACK_SUBJECT), pause: publisher<GuardrailPauseEventV1>(GUARDRAIL_PAUSE_SUBJECT) };
}

/** The rollback publisher alone (kept for callers that only roll back). */
export async function rollbackPublisher(nc: NatsConnection): Promise<EventPublisher<RollbackEventV1>> {
  return (await guardrailPublishers(nc)).rollback;
}
