import { jetstream } from '@nats-io/jetstream';
import { CONFIG_CHANGED_SUBJECT, type ConfigChangedEventV1 } from '@graylane/contracts';
import { encodeJson, type NatsConnection } from '@graylane/runtime';

/**
 * Publishes ConfigChangedEventV1 on the events stream for the audit trail. The message id is the
 * version, so a replica that retries a publish stores the event once.
 */
export function configChangedPublisher(nc: NatsConnection): (event: ConfigChangedEventV1) => Promise<void> {
  const js = jetstream(nc);
  return async (event) => {
    await js.publish(CONFIG_CHANGED_SUBJECT, encodeJson(event), { msgID: `config-changed:${event.version}` });
  };
}
