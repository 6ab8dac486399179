import { JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { waitFor } from './permission-wait.js';

/** JetStream's own "try again" answer: its cluster has no leader for the request yet. */
const UNAVAILABLE_STATUS = 503;

/**
 * True for the answers JetStream gives while it is not serving yet: a NATS cluster elects its
 * JetStream leader some seconds after its servers are up (longer on a busy machine, or while a
 * majority of servers is down), and until then a request times out, finds no responder or is
 * answered "temporarily unavailable".
 */
export function isJetStreamStarting(error: unknown): boolean {
  if (error instanceof TimeoutError) return true;
  if (error instanceof JetStreamApiError) return error.status === UNAVAILABLE_STATUS;
  // nats.js turns "no responders" on the JetStream API into this error, which it does not export.
  return error instanceof Error && error.name === 'JetStreamNotEnabled';
}

/**
 * Resolves once JetStream answers on `nc`, so a service that creates its streams and bucket at
 * start waits for a cluster that is still electing its leader instead of dying of the first
 * timeout. Says why on each try; throws any other error, and stops when `nc` closes.
 */
export async function untilJetStreamAnswers(nc: NatsConnection, logger: Logger): Promise<void> {
  await waitFor(
    () => jetstreamManager(nc),
    isJetStreamStarting,
    () => nc.isClosed(),
    (error, delayMs) =>
      logger.warn(
        { server: nc.getServer(), error: (error as Error).message, retryInMs: delayMs },
        'JetStream does not answer yet (a cluster still electing its leader, or nats-server without -js); retrying',
      ),
  );
}
