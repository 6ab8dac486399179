import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX } from '@graylane/contracts';
import { ensureDurableConsumer, ensureEventsStream, type Logger, type NatsConnection, type StreamOptions } from '@graylane/runtime';
import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { eventRowOf, type EventStore } from '../store/event-store.js';

/** The durable consumer analytics replicas share to copy GRAYLANE_EVENTS into ClickHouse. */
export const EVENTS_AUDIT_CONSUMER = 'graylane-analytics-events';
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * Copies every event (rollbacks, config changes) into the `events` table for audit, one insert
 * per message (events are rare), acknowledged only after ClickHouse accepted it; a failed insert
 * is nak'd with a growing delay so the event comes back when ClickHouse does.
 */
export class EventsRecorder {
  private readonly messages: ConsumerMessages;
  private readonly loop: Promise<void>;
  private failures = 0;

  private constructor(messages: ConsumerMessages, store: EventStore, logger: Logger) {
    this.messages = messages;
    this.loop = this.run(store, logger);
  }

  /** Creates the stream (with `stream` settings) and the durable consumer if missing, then starts copying. */
  static async start(nc: NatsConnection, store: EventStore, logger: Logger, stream: StreamOptions = {}): Promise<EventsRecorder> {
    await ensureEventsStream(nc, stream);
    await ensureDurableConsumer(nc, EVENTS_STREAM, {
      name: EVENTS_AUDIT_CONSUMER,
      filterSubject: `${EVENTS_SUBJECT_PREFIX}.>`,
      ackWaitMs: 30_000,
    });
    const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, EVENTS_AUDIT_CONSUMER);
    return new EventsRecorder(await consumer.consume({ max_messages: 100 }), store, logger);
  }

  /** Stops copying; an event in flight is redelivered if its insert had not finished. */
  async stop(): Promise<void> {
    await this.messages.close();
    await this.loop;
  }

  private async run(store: EventStore, logger: Logger): Promise<void> {
    try {
      for await (const msg of this.messages) {
        const row = eventRowOf(msg.subject, msg.seq, Math.floor(msg.info.timestampNanos / 1_000_000), msg.data);
        try {
          await store.insert([row]);
          msg.ack();
          if (this.failures > 0) logger.info({ failures: this.failures }, 'event audit inserts succeed again');
          this.failures = 0;
        } catch (error) {
          this.failures += 1;
          const delayMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (this.failures - 1));
          if (this.failures === 1) logger.warn({ err: error, seq: msg.seq }, 'could not store an event for audit; it will be redelivered');
          msg.nak(delayMs);
        }
      }
    } catch (error) {
      logger.error({ err: error }, 'events audit consumer failed');
    }
  }
}
