import { ConfigError, DEFAULT_REDIS_URL, positiveIntFrom, urlFrom, type Env } from '@graylane/runtime';

/** Session bindings, user sets and tester overrides: what the proxy reads from the environment for them. */
export interface SessionConfig {
  /** `GRAYLANE_REDIS_URL`: where bindings and large user lists live */
  readonly redisUrl: string;
  /** `GRAYLANE_SESSION_DEADLINE_MS`: how long a request waits for Redis before deciding without it */
  readonly deadlineMs: number;
  /** `GRAYLANE_SESSION_CACHE_ENTRIES`: local cache bound, so memory does not grow with users */
  readonly cacheEntries: number;
  /** `GRAYLANE_SESSION_CACHE_TTL_MS`: how long a local copy may differ from Redis */
  readonly cacheTtlMs: number;
  /**
   * `GRAYLANE_OVERRIDE_SECRET`: HMAC key of the `x-graylane-override` header. Unset, the header is
   * ignored, so no client can pick its version.
   */
  readonly overrideSecret: string | undefined;
}

/** Shortest override secret accepted: an HMAC key shorter than this is guessable. */
export const MIN_OVERRIDE_SECRET_LENGTH = 16;

export function sessionConfigFrom(env: Env): SessionConfig {
  const secret = env.GRAYLANE_OVERRIDE_SECRET;
  if (secret !== undefined && secret !== '' && secret.length < MIN_OVERRIDE_SECRET_LENGTH) {
    throw new ConfigError(
      'GRAYLANE_OVERRIDE_SECRET',
      `expected at least ${MIN_OVERRIDE_SECRET_LENGTH} characters, got ${secret.length}; generate one with: openssl rand -hex 32`,
    );
  }
  return Object.freeze({
    redisUrl: urlFrom(env, 'GRAYLANE_REDIS_URL', DEFAULT_REDIS_URL, ['redis', 'rediss']),
    deadlineMs: positiveIntFrom(env, 'GRAYLANE_SESSION_DEADLINE_MS', 5),
    cacheEntries: positiveIntFrom(env, 'GRAYLANE_SESSION_CACHE_ENTRIES', 100_000),
    cacheTtlMs: positiveIntFrom(env, 'GRAYLANE_SESSION_CACHE_TTL_MS', 30_000),
    overrideSecret: secret === undefined || secret === '' ? undefined : secret,
  });
}
