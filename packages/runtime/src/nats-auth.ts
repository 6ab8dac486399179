import { readFileSync } from 'node:fs';
import { ConfigError, type Env } from './env.js';

/**
 * How a process proves who it is to NATS. At most one of user/password, token, NKey seed or
 * creds; TLS (a private CA, a client certificate) combines with any of them. Secrets are kept
 * out of `JSON.stringify` and `util.inspect`, so a logged config never shows them.
 */
export interface NatsAuth {
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** Contents of an NKey seed file (`SU…`). */
  readonly nkeySeed?: string;
  /** Contents of a `.creds` file (user JWT and NKey seed). */
  readonly creds?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /**
   * The name this process acts as: the NATS user, or GRAYLANE_NATS_IDENTITY for NKey and creds
   * identities. The CLI sends commands on `graylane.cmd.v2.<identity>.<verb>`, a subject the
   * server lets only that identity publish on.
   */
  readonly identity?: string;
}

/** An identity names a subject token: letters, digits, `_` and `-`, at most 64. */
export const IDENTITY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const SECRET_FIELDS = new Set(['password', 'token', 'nkeySeed', 'creds']);

/** Which kind of credentials a NatsAuth carries, for logs and `status`: never the secret itself. */
export function describeNatsAuth(auth: NatsAuth | undefined): string {
  if (auth === undefined) return 'none';
  const kind =
    auth.creds !== undefined
      ? 'creds'
      : auth.nkeySeed !== undefined
        ? 'nkey'
        : auth.token !== undefined
          ? 'token'
          : auth.user !== undefined
            ? `user ${auth.user}`
            : 'none';
  return auth.tls === undefined ? kind : `${kind} + tls`;
}

/** Freezes an auth object whose JSON and inspect forms hide the secrets. */
export function sealNatsAuth(auth: NatsAuth): NatsAuth {
  const redacted = (): Record<string, unknown> =>
    Object.fromEntries(Object.entries(auth).map(([key, value]) => [key, SECRET_FIELDS.has(key) ? '[redacted]' : value]));
  const sealed = { ...auth };
  Object.defineProperty(sealed, 'toJSON', { value: redacted, enumerable: false });
  Object.defineProperty(sealed, Symbol.for('nodejs.util.inspect.custom'), { value: redacted, enumerable: false });
  return Object.freeze(sealed);
}

/** A non-empty value of `env[name]`, or the trimmed contents of the file named by `env[name_FILE]`. */
export function secretFrom(env: Env, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file !== undefined && file !== '') {
    throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`);
  }
  if (direct !== undefined && direct !== '') return direct;
  if (file === undefined || file === '') return undefined;
  return readSecretFile(env, `${name}_FILE`);
}

function readSecretFile(env: Env, variable: string): string {
  const path = env[variable] ?? '';
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text === '') throw new ConfigError(variable, `the file "${path}" is empty`);
    return text;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(variable, `cannot read the file "${path}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function optionalFile(env: Env, variable: string): string | undefined {
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  readSecretFile(env, variable); // fail at start, naming the variable, rather than at connect
  return value;
}

/**
 * The NATS credentials of a process from its environment:
 * GRAYLANE_NATS_USER + GRAYLANE_NATS_PASSWORD(_FILE), GRAYLANE_NATS_TOKEN(_FILE),
 * GRAYLANE_NATS_NKEY_SEED_FILE, GRAYLANE_NATS_CREDS_FILE, GRAYLANE_NATS_TLS_CA/CERT/KEY and
 * GRAYLANE_NATS_IDENTITY. Undefined when none is set (and the URL may still carry credentials).
 */
export function natsAuthFrom(env: Env): NatsAuth | undefined {
  const user = nonEmpty(env.GRAYLANE_NATS_USER);
  const password = secretFrom(env, 'GRAYLANE_NATS_PASSWORD');
  const token = secretFrom(env, 'GRAYLANE_NATS_TOKEN');
  const nkeySeed = nonEmpty(env.GRAYLANE_NATS_NKEY_SEED_FILE) === undefined ? undefined : readSecretFile(env, 'GRAYLANE_NATS_NKEY_SEED_FILE');
  const creds = nonEmpty(env.GRAYLANE_NATS_CREDS_FILE) === undefined ? undefined : readSecretFile(env, 'GRAYLANE_NATS_CREDS_FILE');

  if (password !== undefined && user === undefined) throw new ConfigError('GRAYLANE_NATS_PASSWORD', 'needs GRAYLANE_NATS_USER');
  if (user !== undefined && password === undefined) throw new ConfigError('GRAYLANE_NATS_USER', 'needs GRAYLANE_NATS_PASSWORD or GRAYLANE_NATS_PASSWORD_FILE');
  const methods = [user, token, nkeySeed, creds].filter((m) => m !== undefined).length;
  if (methods > 1) {
    throw new ConfigError('GRAYLANE_NATS_USER', 'set only one of user/password, GRAYLANE_NATS_TOKEN, GRAYLANE_NATS_NKEY_SEED_FILE, GRAYLANE_NATS_CREDS_FILE');
  }
  if (nkeySeed !== undefined && !/^S[A-Z2-7]{50,}$/.test(nkeySeed)) {
    throw new ConfigError('GRAYLANE_NATS_NKEY_SEED_FILE', 'expected a file holding an NKey seed starting with "S"');
  }
  if (creds !== undefined && !creds.includes('BEGIN NATS USER JWT')) {
    throw new ConfigError('GRAYLANE_NATS_CREDS_FILE', 'expected a NATS .creds file (BEGIN NATS USER JWT …)');
  }

  const caFile = optionalFile(env, 'GRAYLANE_NATS_TLS_CA');
  const certFile = optionalFile(env, 'GRAYLANE_NATS_TLS_CERT');
  const keyFile = optionalFile(env, 'GRAYLANE_NATS_TLS_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(certFile === undefined ? 'GRAYLANE_NATS_TLS_CERT' : 'GRAYLANE_NATS_TLS_KEY', 'a client certificate needs both GRAYLANE_NATS_TLS_CERT and GRAYLANE_NATS_TLS_KEY');
  }
  const tls = caFile === undefined && certFile === undefined ? undefined : { ...(caFile && { caFile }), ...(certFile && { certFile }), ...(keyFile && { keyFile }) };

  const identity = nonEmpty(env.GRAYLANE_NATS_IDENTITY) ?? user;
  if (identity !== undefined && !IDENTITY_PATTERN.test(identity)) {
    const variable = nonEmpty(env.GRAYLANE_NATS_IDENTITY) === undefined ? 'GRAYLANE_NATS_USER' : 'GRAYLANE_NATS_IDENTITY';
    throw new ConfigError(variable, `expected a name of letters, digits, "_" or "-" (at most 64), got "${identity}"`);
  }

  if (methods === 0 && tls === undefined && identity === undefined) return undefined;
  return sealNatsAuth({
    ...(user !== undefined && { user, password }),
    ...(token !== undefined && { token }),
    ...(nkeySeed !== undefined && { nkeySeed }),
    ...(creds !== undefined && { creds }),
    ...(tls !== undefined && { tls }),
    ...(identity !== undefined && { identity }),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
