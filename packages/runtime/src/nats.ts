import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';

/** Options for {@link connectNats}. */
export interface NatsConnectOptions {
  /** Connection name shown in NATS monitoring. */
  name: string;
  /** Keep retrying the first connection instead of failing (services); the CLI fails fast. */
  waitForServer: boolean;
  timeoutMs?: number;
}

/**
 * A NATS connection that reconnects forever once established, logging each status change, so
 * that a restart of NATS never needs a restart of the service.
 */
export async function connectNats(url: string, logger: Logger, options: NatsConnectOptions): Promise<NatsConnection> {
  const servers = url.replace(/^nats:\/\//, '');
  const nc = await connect({
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: options.waitForServer,
    timeout: options.timeoutMs ?? 2000,
  });
  void watchStatus(nc, logger);
  logger.info({ server: nc.getServer() }, 'connected to NATS');
  return nc;
}

async function watchStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
      logger.warn({ status: status.type }, 'NATS connection status changed');
    }
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON to bytes for a NATS payload. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Bytes of a NATS payload to a JSON value; throws SyntaxError on malformed JSON. */
export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(decoder.decode(data)) as unknown;
}
