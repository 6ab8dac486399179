import { positiveIntFrom, type Env } from '@graylane/runtime';

/**
 * How long the data plane waits on a client. A client that stops sending holds a server socket
 * and, once its request is forwarded, an upstream connection: without these limits a few
 * thousand clients sending a byte now and then pin every upstream connection.
 */
export interface ClientLimits {
  /** The whole request head (request line and headers) must arrive within this (Node's `headersTimeout`). */
  readonly headerTimeoutMs: number;
  /**
   * The window a request body is judged over: a body that brings fewer than
   * `bodyMinBytesPerSecond` × this in one window (no byte at all, at the least) is cut: 408 if no
   * answer started, else the connection closes.
   */
  readonly bodyIdleTimeoutMs: number;
  /** The slowest average rate a request body may arrive at over one window; 1 keeps only the idle rule in practice. */
  readonly bodyMinBytesPerSecond: number;
}

/**
 * Reads `GRAYLANE_CLIENT_HEADER_TIMEOUT_MS`, `GRAYLANE_CLIENT_BODY_IDLE_TIMEOUT_MS` and
 * `GRAYLANE_CLIENT_BODY_MIN_RATE` (bytes per second; 500 as Apache's mod_reqtimeout, so a body
 * dribbled at a byte a second, which the idle rule alone lets through, is cut); errors name the
 * variable.
 */
export function clientLimitsFrom(env: Env): ClientLimits {
  return Object.freeze({
    headerTimeoutMs: positiveIntFrom(env, 'GRAYLANE_CLIENT_HEADER_TIMEOUT_MS', 20_000),
    bodyIdleTimeoutMs: positiveIntFrom(env, 'GRAYLANE_CLIENT_BODY_IDLE_TIMEOUT_MS', 15_000),
    bodyMinBytesPerSecond: positiveIntFrom(env, 'GRAYLANE_CLIENT_BODY_MIN_RATE', 500),
  });
}

/** The defaults, for tests and for `buildApp` callers that pass no environment. */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = clientLimitsFrom({});
