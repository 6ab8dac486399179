import { ROLLBACK_SUBJECT, type RollbackEventV1 } from '@graylane/contracts';
import { encodeJson, ensureEventsStream, type NatsConnection } from '@graylane/runtime';
import { jetstream } from '@nats-io/jetstream';

/**
 * A function that publishes a rollback to the events stream with its `eventId` as the JetStream
 * message id, so the same breach published by several replicas (or again after a retry) is
 * stored once. Resolves 'duplicate' when the stream already had it.
 */
export async function rollbackPublisher(nc: NatsConnection): Promise<(event: RollbackEventV1) => Promise<'published' | 'duplicate'>> {
  await ensureEventsStream(nc);
  const js = jetstream(nc);
  return async (event) => {
    const ack = await js.publish(ROLLBACK_SUBJECT, encodeJson(event), { msgID: event.eventId });
    return ack.duplicate ? 'duplicate' : 'published';
  };
}
