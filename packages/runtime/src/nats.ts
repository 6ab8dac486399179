import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { describeNatsAuth, type NatsAuth } from './nats-auth.js';
import { parseNatsUrl, redactNatsUrl } from './nats-url.js';

export type { NatsConnection, Msg, Subscription } from '@nats-io/transport-node';

/** Options for {@link connectNats}. */
export interface NatsConnectOptions {
  /** Connection name shown in NATS monitoring. */
  name: string;
  /** Keep retrying the first connection instead of failing (services); the CLI fails fast. */
  waitForServer: boolean;
  timeoutMs?: number;
  /** Credentials and TLS from {@link natsAuthFrom}; they win over credentials in the URL. */
  auth?: NatsAuth | undefined;
  /** The CLI fails at once instead of reconnecting. */
  reconnect?: boolean;
}

const encoder = new TextEncoder();

/**
 * The nats.js options for a URL and a process's credentials. Credentials in the URL are used
 * when the environment names none, so `nats://user:pass@host` works as in other NATS clients.
 */
export function natsConnectionOptions(url: string, auth: NatsAuth | undefined): ConnectionOptions {
  const parsed = parseNatsUrl(url);
  const options: ConnectionOptions = { servers: parsed.servers };
  if (auth?.creds !== undefined) {
    options.authenticator = credsAuthenticator(encoder.encode(auth.creds));
  } else if (auth?.nkeySeed !== undefined) {
    options.authenticator = nkeyAuthenticator(encoder.encode(auth.nkeySeed));
  } else if (auth?.token !== undefined) {
    options.token = auth.token;
  } else if (auth?.user !== undefined) {
    options.user = auth.user;
    options.pass = auth.password ?? '';
  } else if (parsed.token !== undefined) {
    options.token = parsed.token;
  } else if (parsed.user !== undefined) {
    options.user = parsed.user;
    options.pass = parsed.password ?? '';
  }
  if (auth?.tls !== undefined) options.tls = { ...auth.tls };
  else if (parsed.tlsRequired) options.tls = {};
  return options;
}

/**
 * A NATS connection that reconnects forever once established, logging each status change, so
 * that a restart of NATS never needs a restart of the service.
 */
export async function connectNats(url: string, logger: Logger, options: NatsConnectOptions): Promise<NatsConnection> {
  const connectOnce = (): Promise<NatsConnection> =>
    connect({
      ...natsConnectionOptions(url, options.auth),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      waitOnFirstConnect: false,
      timeout: options.timeoutMs ?? 2000,
      ...(options.reconnect === false ? { reconnect: false } : {}),
    });
  const nc = options.waitForServer ? await connectPatiently(connectOnce, url, logger, options.auth) : await connectOnce();
  void watchStatus(nc, logger);
  logger.info({ server: nc.getServer(), auth: describeNatsAuth(options.auth) }, 'connected to NATS');
  return nc;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/**
 * Retries the first connection until it succeeds, saying why on each failure: nats.js's own
 * waitOnFirstConnect retries silently, which hid wrong credentials behind a service that never
 * became ready. A refused login is logged as an error (the server may learn the user later).
 */
async function connectPatiently(connectOnce: () => Promise<NatsConnection>, url: string, logger: Logger, auth: NatsAuth | undefined): Promise<NatsConnection> {
  for (let delay = FIRST_RETRY_MS; ; delay = Math.min(MAX_RETRY_MS, delay * 2)) {
    try {
      return await connectOnce();
    } catch (error) {
      const message = (error as Error).message;
      const where = { server: redactNatsUrl(url), auth: describeNatsAuth(auth), error: message, retryInMs: delay };
      if (/authorization violation|authentication/i.test(message)) logger.error(where, 'NATS refused the credentials (GRAYLANE_NATS_*); retrying');
      else logger.warn(where, 'cannot connect to NATS yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function watchStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'error') {
      // e.g. a permissions violation: the server's message names the subject, never a secret.
      logger.warn({ status: status.type, error: status.error.message }, 'NATS connection status changed');
    } else if (status.type === 'disconnect' || status.type === 'reconnect') {
      logger.warn({ status: status.type }, 'NATS connection status changed');
    }
  }
}

const decoder = new TextDecoder();

/** JSON to bytes for a NATS payload. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Bytes of a NATS payload to a JSON value; throws SyntaxError on malformed JSON. */
export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(decoder.decode(data)) as unknown;
}
