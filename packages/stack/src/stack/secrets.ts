import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { generateNatsCredentials, randomSecret, renderNatsAuthorization, type NatsCredentials, type ServiceRole } from '../servers/nats-auth.js';
import { GraylaneError } from '@graylane/contracts';
import { IDENTITY_PATTERN, sealNatsAuth, type NatsAuth } from '@graylane/runtime';

/**
 * The secrets of a stack `graylane up` starts: a NATS password per service and for the local
 * operator, and the HTTP tokens of the config API, analytics' write actions and the proxy's
 * admin writes. Fresh on every `up` (so `down` + `up` rotates them all), kept in
 * `<GRAYLANE_HOME>/secrets` (mode 0700, files 0600), and handed to each process as files or
 * variables of its own: a service never sees another's password.
 */
export interface StackSecrets {
  readonly dir: string;
  /** The operator the CLI acts as: the login name when it is a valid identity, else "operator". */
  readonly operator: string;
  readonly nats: NatsCredentials;
  /** nats-server's authorization config (shipped permissions + these users); 0600. */
  readonly natsAuthorization: string;
  /** HTTP bearer tokens. */
  readonly tokens: { readonly config: string; readonly analytics: string; readonly proxyAdmin: string };
}

/** What state.json records about the secrets: where they are, never what they are. */
export interface StackSecretsRef {
  dir: string;
  operator: string;
}

const SECRETS_DIR = 'secrets';

/** The local operator's name: the login name when it can name a NATS subject token. */
export function operatorName(env: Record<string, string | undefined>): string {
  const login = env.USER ?? safeLogin();
  return login !== undefined && IDENTITY_PATTERN.test(login) && !login.startsWith('graylane-') ? login : 'operator';
}

function safeLogin(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** Generates new secrets and writes them under `<home>/secrets`, replacing older ones. */
export function createStackSecrets(home: string, operator: string): StackSecrets {
  const dir = join(home, SECRETS_DIR);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const nats = generateNatsCredentials([operator]);
  const tokens = { config: randomSecret(), analytics: randomSecret(), proxyAdmin: randomSecret() };
  const write = (name: string, content: string): void => {
    const path = join(dir, name);
    writeFileSync(path, `${content}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  };
  for (const identity of [...Object.values(nats.services), ...Object.values(nats.operators)]) write(passwordFileName(identity.user), identity.password);
  // The config API's tokens are named: the operator's token records the operator as the actor.
  write('config-api.tokens', `${operator}:${tokens.config}`);
  write('config-api.token', tokens.config);
  write('analytics.token', tokens.analytics);
  write('proxy-admin.token', tokens.proxyAdmin);
  // Only the compose stack uses these (its Redis and ClickHouse have passwords); local mode's
  // servers listen on loopback.
  // Hex: they go into URLs and a command line unescaped (a base64url secret may start with "--").
  write('redis.password', randomBytes(24).toString('hex'));
  write('clickhouse.password', randomBytes(24).toString('hex'));
  return { dir, operator, nats, natsAuthorization: renderNatsAuthorization(nats), tokens };
}

function passwordFileName(user: string): string {
  return `nats-${user}.password`;
}

/**
 * The variables one service gets: its own NATS user and password file, its own HTTP token, and
 * nothing of the others'.
 */
export function serviceSecretsEnv(secrets: StackSecrets, role: ServiceRole): Record<string, string> {
  const nats = {
    GRAYLANE_NATS_USER: secrets.nats.services[role].user,
    GRAYLANE_NATS_PASSWORD_FILE: join(secrets.dir, passwordFileName(secrets.nats.services[role].user)),
  };
  switch (role) {
    case 'config':
      return { ...nats, GRAYLANE_CONFIG_TOKENS_FILE: join(secrets.dir, 'config-api.tokens') };
    case 'analytics':
      return { ...nats, GRAYLANE_ANALYTICS_TOKEN: secrets.tokens.analytics };
    case 'proxy':
      return { ...nats, GRAYLANE_ADMIN_TOKEN: secrets.tokens.proxyAdmin };
  }
}

/**
 * The operator's NATS credentials for a stack `up` started, read from its secrets folder, so the
 * CLI needs no extra step. Undefined for a stack without secrets (started by an older graylane).
 */
export function operatorAuth(ref: StackSecretsRef | undefined): NatsAuth | undefined {
  if (ref === undefined) return undefined;
  const file = join(ref.dir, passwordFileName(ref.operator));
  if (!existsSync(file)) {
    throw new GraylaneError('GRAYLANE_UNAUTHORIZED', `the stack's operator password ${file} is missing; run graylane down, then graylane up`);
  }
  const password = readFileSync(file, 'utf8').trim();
  return sealNatsAuth({ user: ref.operator, password, identity: ref.operator });
}

/**
 * The variables infra/compose/compose.yaml needs: the NATS passwords its nats-server.conf reads,
 * the Redis and ClickHouse passwords and the HTTP tokens. Read back from the secrets folder, so `down` can pass them too (compose
 * refuses to read the file without them).
 */
export function composeSecretsEnv(ref: StackSecretsRef): Record<string, string> {
  const read = (file: string): string => readFileSync(join(ref.dir, file), 'utf8').trim();
  return {
    GRAYLANE_NATS_PROXY_PASSWORD: read(passwordFileName('graylane-proxy')),
    GRAYLANE_NATS_CONFIG_PASSWORD: read(passwordFileName('graylane-config')),
    GRAYLANE_NATS_ANALYTICS_PASSWORD: read(passwordFileName('graylane-analytics')),
    GRAYLANE_NATS_OPERATOR_PASSWORD: read(passwordFileName(ref.operator)),
    GRAYLANE_CONFIG_TOKENS: read('config-api.tokens'),
    GRAYLANE_ANALYTICS_TOKEN: read('analytics.token'),
    GRAYLANE_ADMIN_TOKEN: read('proxy-admin.token'),
    GRAYLANE_REDIS_PASSWORD: read('redis.password'),
    GRAYLANE_CLICKHOUSE_PASSWORD: read('clickhouse.password'),
  };
}

/** The one operator infra/nats/nats-server.conf (and so the compose stack) defines. */
export const COMPOSE_OPERATOR = 'operator';

/** Variables a child process must not inherit from the user's shell: another identity's secrets. */
export const CREDENTIAL_VARIABLES = [
  'GRAYLANE_NATS_USER',
  'GRAYLANE_NATS_PASSWORD',
  'GRAYLANE_NATS_PASSWORD_FILE',
  'GRAYLANE_NATS_TOKEN',
  'GRAYLANE_NATS_TOKEN_FILE',
  'GRAYLANE_NATS_NKEY_SEED_FILE',
  'GRAYLANE_NATS_CREDS_FILE',
  'GRAYLANE_NATS_IDENTITY',
  'GRAYLANE_CONFIG_TOKEN',
  'GRAYLANE_CONFIG_TOKENS',
  'GRAYLANE_CONFIG_TOKENS_FILE',
  'GRAYLANE_ADMIN_TOKEN',
  'GRAYLANE_ANALYTICS_TOKEN',
] as const;
