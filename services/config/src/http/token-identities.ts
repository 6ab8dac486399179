import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError, IDENTITY_PATTERN, secretFrom, type Env } from '@graylane/runtime';

/** A named bearer token of the HTTP command API: the name is the actor its commands record. */
export interface TokenIdentity {
  readonly name: string;
  /** SHA-256 of the token: compared in constant time, and never the token itself in memory dumps of the config. */
  readonly digest: Buffer;
}

/** The identity of the single GRAYLANE_CONFIG_TOKEN, which has no name of its own. */
export const UNNAMED_TOKEN_IDENTITY = 'api-token';

const MIN_TOKEN_LENGTH = 16;

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * The HTTP API's tokens: GRAYLANE_CONFIG_TOKENS (or _FILE) as `name:token` entries separated by
 * commas or new lines, plus GRAYLANE_CONFIG_TOKEN as the identity "api-token". Empty means the
 * API is open.
 */
export function tokenIdentitiesFrom(env: Env): readonly TokenIdentity[] {
  const identities: TokenIdentity[] = [];
  const single = env.GRAYLANE_CONFIG_TOKEN;
  if (single !== undefined && single !== '') identities.push({ name: UNNAMED_TOKEN_IDENTITY, digest: digestOf(single) });
  const list = secretFrom(env, 'GRAYLANE_CONFIG_TOKENS');
  for (const entry of (list ?? '').split(/[,\n]/).map((s) => s.trim()).filter((s) => s !== '' && !s.startsWith('#'))) {
    const colon = entry.indexOf(':');
    const name = colon < 0 ? '' : entry.slice(0, colon).trim();
    const token = colon < 0 ? '' : entry.slice(colon + 1).trim();
    // The message names the entry by its name only: the token is a secret.
    if (!IDENTITY_PATTERN.test(name)) {
      throw new ConfigError('GRAYLANE_CONFIG_TOKENS', `expected entries "name:token" with a name of letters, digits, "_" or "-", got an entry named "${name}"`);
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new ConfigError('GRAYLANE_CONFIG_TOKENS', `the token of "${name}" is shorter than ${MIN_TOKEN_LENGTH} characters`);
    }
    if (identities.some((i) => i.name === name)) throw new ConfigError('GRAYLANE_CONFIG_TOKENS', `"${name}" is named twice`);
    identities.push({ name, digest: digestOf(token) });
  }
  return Object.freeze(identities);
}

/**
 * The identity whose token the `Authorization: Bearer …` header carries, or undefined. Compares
 * fixed-length digests in constant time, and against every identity, so the time taken tells
 * nothing about which token or how much of it matched.
 */
export function identityOfBearer(header: string | undefined, identities: readonly TokenIdentity[]): string | undefined {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  const presented = digestOf(match?.[1] ?? '');
  let found: string | undefined;
  for (const identity of identities) {
    if (timingSafeEqual(presented, identity.digest) && found === undefined && match !== null) found = identity.name;
  }
  return found;
}
