import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A closed NATS: graylane's shipped permissions (infra/nats/permissions.conf) with one user per
 * service role and one per operator. Used by `graylane up` and by the integration tests, so both
 * run the rules a deployment runs.
 */

/** The service roles of infra/nats/permissions.conf, and the NATS user each one connects as. */
export const SERVICE_USERS = {
  proxy: 'graylane-proxy',
  config: 'graylane-config',
  analytics: 'graylane-analytics',
} as const;
export type ServiceRole = keyof typeof SERVICE_USERS;

/** The permission variable of each role in permissions.conf. */
const ROLE_VARIABLES: Record<ServiceRole, string> = {
  proxy: 'GRAYLANE_PROXY',
  config: 'GRAYLANE_CONFIG',
  analytics: 'GRAYLANE_ANALYTICS',
};

/** A user and password for NATS. */
export interface NatsUser {
  readonly user: string;
  readonly password: string;
}

/** Every identity of a closed bus. */
export interface NatsCredentials {
  readonly services: Readonly<Record<ServiceRole, NatsUser>>;
  /** Operators by name; each may send commands only as itself. */
  readonly operators: Readonly<Record<string, NatsUser>>;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A random secret of 32 URL-safe characters (192 bits). */
export function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Fresh random passwords for the three services and for each named operator. */
export function generateNatsCredentials(operators: readonly string[]): NatsCredentials {
  for (const name of operators) {
    if (!NAME_PATTERN.test(name) || Object.values(SERVICE_USERS).includes(name as never)) {
      throw new Error(`operator name "${name}" must be letters, digits, "_" or "-" and not a service's name`);
    }
  }
  const user = (name: string): NatsUser => ({ user: name, password: randomSecret() });
  return {
    services: { proxy: user(SERVICE_USERS.proxy), config: user(SERVICE_USERS.config), analytics: user(SERVICE_USERS.analytics) },
    operators: Object.fromEntries(operators.map((name) => [name, user(name)])),
  };
}

/** The repository's infra/nats/permissions.conf, found from this package's location. */
export function shippedPermissionsFile(): string {
  // dist/servers/nats-auth.js or src/servers/nats-auth.ts → packages/stack → repository root
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'infra', 'nats', 'permissions.conf');
}

/**
 * An operator's permissions: commands only on its own v2 subject, reports, and proxy heartbeats
 * (for `graylane status`). Generated per operator because a NATS permission cannot name "the
 * connected user" in a subject.
 */
export function operatorPermissions(name: string): string {
  return [
    '{',
    `    publish: { allow: ["graylane.cmd.v2.${name}.>", "graylane.analytics.v1.report"] }`,
    '    subscribe: { allow: ["_INBOX.>", "graylane.proxy.v1.heartbeat"] }',
    '  }',
  ].join('\n');
}

/**
 * The `authorization` part of a nats-server config: the shipped permissions inlined (an
 * `include` path is relative to the including file, and this config is written elsewhere), then
 * one user per role and operator. Holds the passwords: write it with mode 0600.
 */
export function renderNatsAuthorization(credentials: NatsCredentials, permissions = readFileSync(shippedPermissionsFile(), 'utf8')): string {
  const quote = (value: string): string => JSON.stringify(value);
  const users = [
    ...(Object.keys(SERVICE_USERS) as ServiceRole[]).map((role) => {
      const { user, password } = credentials.services[role];
      return `  { user: ${quote(user)}, password: ${quote(password)}, permissions: $${ROLE_VARIABLES[role]} }`;
    }),
    ...Object.entries(credentials.operators).map(
      ([name, { user, password }]) => `  { user: ${quote(user)}, password: ${quote(password)}, permissions: ${operatorPermissions(name)} }`,
    ),
  ];
  return `${permissions}\n\nauthorization {\n  users: [\n${users.join('\n')}\n  ]\n}\n`;
}

/** `nats://user:password@127.0.0.1:port` for one identity; URL-encoded. */
export function natsUrlWith(url: string, identity: NatsUser): string {
  return url.replace(/^nats:\/\//, `nats://${encodeURIComponent(identity.user)}:${encodeURIComponent(identity.password)}@`);
}

/** The GRAYLANE_NATS_* variables a process needs to connect as `identity`. */
export function natsEnvFor(identity: NatsUser): Record<string, string> {
  return { GRAYLANE_NATS_USER: identity.user, GRAYLANE_NATS_PASSWORD: identity.password };
}
