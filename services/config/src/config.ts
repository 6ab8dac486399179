import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { tokenIdentitiesFrom, type TokenIdentity } from './http/token-identities.js';
import { ConfigError, natsAuthFrom, natsUrlFrom, type NatsAuth, portFrom, positiveIntFrom, stringFrom, type Env } from '@graylane/runtime';

/** The config service's settings, read once from the environment. */
export interface ConfigServiceConfig {
  readonly port: number;
  readonly natsUrl: string;
  /** This process's NATS credentials and TLS (GRAYLANE_NATS_*), undefined on an open bus. */
  readonly natsAuth: NatsAuth | undefined;
  /**
   * Named tokens of the HTTP command API (GRAYLANE_CONFIG_TOKENS, GRAYLANE_CONFIG_TOKEN); when
   * any is set, a command needs `Authorization: Bearer <token>` and records the token's name.
   */
  readonly tokens: readonly TokenIdentity[];
  /**
   * Whether commands on graylane.cmd.v1 (no identity) are answered. Default: only when this
   * service has no NATS credentials, i.e. on an open bus; on a closed one they are refused.
   */
  readonly acceptV1Commands: boolean;
  readonly logLevel: string;
  /** Names this replica in the step lease. */
  readonly replicaId: string;
  /** How often the step driver renews its lease and looks for steps to advance. */
  readonly stepTickMs: number;
  /** How long a lease lasts without renewal: the takeover time after a replica dies. */
  readonly stepLeaseMs: number;
}

export function loadConfig(env: Env): ConfigServiceConfig {
  const stepTickMs = positiveIntFrom(env, 'GRAYLANE_STEP_TICK_MS', 1000);
  const natsAuth = natsAuthFrom(env);
  return Object.freeze({
    port: portFrom(env, 'PORT', 8081),
    natsUrl: natsUrlFrom(env),
    natsAuth,
    tokens: tokenIdentitiesFrom(env),
    acceptV1Commands: acceptV1From(env, natsAuth),
    logLevel: stringFrom(env, 'LOG_LEVEL', 'info'),
    replicaId: stringFrom(env, 'GRAYLANE_REPLICA_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
    stepTickMs,
    // Renewed at half-life, so one slow tick is no failover; 15 s is the takeover time by default.
    stepLeaseMs: positiveIntFrom(env, 'GRAYLANE_STEP_LEASE_MS', Math.max(stepTickMs * 5, 15_000)),
  });
}

function acceptV1From(env: Env, natsAuth: NatsAuth | undefined): boolean {
  const raw = env.GRAYLANE_CONFIG_V1_COMMANDS;
  if (raw === undefined || raw === '') return natsAuth === undefined;
  if (raw === 'accept' || raw === 'refuse') return raw === 'accept';
  throw new ConfigError('GRAYLANE_CONFIG_V1_COMMANDS', `expected "accept" or "refuse", got "${raw}"`);
}
