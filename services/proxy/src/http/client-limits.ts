import { positiveIntFrom, type Env } from '@graylane/runtime';

/**
 * How long the data plane waits on a client. A client that stops sending holds a server socket
 * and, once its request is forwarded, an upstream connection: without these limits a few
 * thousand clients sending a byte now and then pin every upstream connection.
 */
export interface ClientLimits {
  /** The whole request head (request line and headers) must arrive within this (Node's `headersTimeout`). */
  readonly headerTimeoutMs: number;
  /** A request body that receives no byte for this long is cut: 408 if no answer started, else the connection closes. */
  readonly bodyIdleTimeoutMs: number;
}

/** Reads `GRAYLANE_CLIENT_HEADER_TIMEOUT_MS` and `GRAYLANE_CLIENT_BODY_IDLE_TIMEOUT_MS`; errors name the variable. */
export function clientLimitsFrom(env: Env): ClientLimits {
  return Object.freeze({
    headerTimeoutMs: positiveIntFrom(env, 'GRAYLANE_CLIENT_HEADER_TIMEOUT_MS', 20_000),
    bodyIdleTimeoutMs: positiveIntFrom(env, 'GRAYLANE_CLIENT_BODY_IDLE_TIMEOUT_MS', 15_000),
  });
}

/** The defaults, for tests and for `buildApp` callers that pass no environment. */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = clientLimitsFrom({});
