import { createHash, timingSafeEqual } from 'node:crypto';
import { GraylaneError } from '@graylane/contracts';
import { ConfigError, type Env } from './env.js';

/** A bearer token accepted by an endpoint, with the name it is known by (never the token itself in logs). */
export interface NamedToken {
  readonly name: string;
  readonly token: string;
}

/**
 * Who may call a guarded endpoint. `tokens` empty and `open` false is the default: the endpoint
 * refuses every call (GRAYLANE_WRITES_CLOSED), because a write API nobody configured must not be
 * open to whoever reaches the port. `open` is only ever true when the operator said so.
 */
export interface HttpAuth {
  readonly tokens: readonly NamedToken[];
  readonly open: boolean;
  /** the variable that sets the token, for messages */
  readonly tokenVariable: string;
  /** the variable that opens the endpoint without a token, for messages */
  readonly switchVariable: string;
}

/** Shortest token accepted: anything shorter is guessable over a network. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The auth of one endpoint from `env[tokenVariable]` and `env[switchVariable]` (`on`, the default,
 * or `off`). Throws a ConfigError naming the variable for a short token, an unknown switch value,
 * or a token given together with `off` (which of the two the operator meant cannot be told).
 */
export function httpAuthFrom(env: Env, tokenVariable: string, switchVariable: string): HttpAuth {
  const token = env[tokenVariable] ?? '';
  const mode = (env[switchVariable] ?? '').trim().toLowerCase();
  if (mode !== '' && mode !== 'on' && mode !== 'off') {
    throw new ConfigError(switchVariable, `expected "on" or "off", got "${env[switchVariable] ?? ''}"`);
  }
  if (token !== '' && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      tokenVariable,
      `expected at least ${MIN_TOKEN_LENGTH} characters, got ${token.length}; generate one with: openssl rand -hex 32`,
    );
  }
  if (token !== '' && mode === 'off') {
    throw new ConfigError(switchVariable, `is "off" but ${tokenVariable} is set; unset one of them`);
  }
  return Object.freeze({
    tokens: Object.freeze(token === '' ? [] : [Object.freeze({ name: tokenVariable, token })]),
    open: mode === 'off',
    tokenVariable,
    switchVariable,
  });
}

/** An HttpAuth for tests and for code that builds its own: these tokens, or open when none and `open`. */
export function httpAuthOf(tokens: readonly string[], options: { open?: boolean; tokenVariable?: string; switchVariable?: string } = {}): HttpAuth {
  const tokenVariable = options.tokenVariable ?? 'token';
  return Object.freeze({
    tokens: Object.freeze(tokens.map((token, index) => Object.freeze({ name: index === 0 ? tokenVariable : `${tokenVariable}#${index + 1}`, token }))),
    open: options.open === true && tokens.length === 0,
    tokenVariable,
    switchVariable: options.switchVariable ?? 'auth',
  });
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether `given` equals `expected`, in time that does not depend on where they differ: both are
 * hashed to equal-length digests first, since timingSafeEqual needs equal lengths and comparing
 * lengths would itself leak the token's length.
 */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Checks an `Authorization` header against `auth`: the name of the matching token (`open` when the
 * endpoint is open on purpose), or the GraylaneError to answer with. Every configured token is
 * compared, so the time taken does not tell which one nearly matched.
 */
export function checkBearer(auth: HttpAuth, authorization: string | undefined, what: string): { name: string } | GraylaneError {
  if (auth.tokens.length === 0) {
    if (auth.open) return { name: 'open' };
    return new GraylaneError(
      'GRAYLANE_WRITES_CLOSED',
      `${what} is closed: no token is configured; set ${auth.tokenVariable} (or ${auth.switchVariable}=off to open it to anyone who reaches the port)`,
    );
  }
  const given = /^Bearer +(.+)$/i.exec(authorization ?? '')?.[1]?.trim() ?? '';
  let matched: string | undefined;
  for (const candidate of auth.tokens) {
    if (tokensEqual(given, candidate.token) && matched === undefined) matched = candidate.name;
  }
  if (given !== '' && matched !== undefined) return { name: matched };
  return new GraylaneError('GRAYLANE_UNAUTHORIZED', `${what} needs Authorization: Bearer <${auth.tokenVariable}>; ${given === '' ? 'none was given' : 'the one given is wrong'}`);
}

/** The start-up warning for an endpoint the operator opened on purpose, or undefined. */
export function openAuthWarning(auth: HttpAuth, what: string): string | undefined {
  return auth.open ? `${auth.switchVariable}=off: ${what} accepts calls without a token from anyone who reaches the port` : undefined;
}
