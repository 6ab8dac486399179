import { ConfigError, httpAuthFrom, IDENTITY_PATTERN, MIN_TOKEN_LENGTH, secretFrom, type Env, type HttpAuth, type NamedToken } from '@graylane/runtime';

/** The identity of the single GRAYLANE_CONFIG_TOKEN, which has no name of its own. */
export const UNNAMED_TOKEN_IDENTITY = 'api-token';

/**
 * Who may call the HTTP command API, and under which name: GRAYLANE_CONFIG_TOKENS (or _FILE) as
 * `name:token` entries separated by commas or new lines, plus GRAYLANE_CONFIG_TOKEN as the
 * identity "api-token". The name of the matching token is the actor history records. No token at
 * all leaves the API closed unless GRAYLANE_CONFIG_AUTH=off (runtime's `httpAuthFrom`).
 */
export function configApiAuthFrom(env: Env): HttpAuth {
  const named = namedTokensFrom(env);
  const base = httpAuthFrom(env, 'GRAYLANE_CONFIG_TOKEN', 'GRAYLANE_CONFIG_AUTH');
  if (named.length > 0 && base.open) {
    throw new ConfigError('GRAYLANE_CONFIG_AUTH', 'is "off" but GRAYLANE_CONFIG_TOKENS is set; unset one of them');
  }
  const single = base.tokens.map((token) => Object.freeze({ name: UNNAMED_TOKEN_IDENTITY, token: token.token }));
  const tokens = [...single, ...named];
  const names = new Set<string>();
  for (const { name } of tokens) {
    if (names.has(name)) throw new ConfigError('GRAYLANE_CONFIG_TOKENS', `"${name}" is named twice`);
    names.add(name);
  }
  return Object.freeze({ ...base, tokens: Object.freeze(tokens) });
}

function namedTokensFrom(env: Env): NamedToken[] {
  const list = secretFrom(env, 'GRAYLANE_CONFIG_TOKENS');
  const tokens: NamedToken[] = [];
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
    tokens.push(Object.freeze({ name, token }));
  }
  return tokens;
}
