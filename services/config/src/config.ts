import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { natsUrlFrom, portFrom, positiveIntFrom, stringFrom, type Env } from '@graylane/runtime';

/** The config service's settings, read once from the environment. */
export interface ConfigServiceConfig {
  readonly port: number;
  readonly natsUrl: string;
  /** When set, the HTTP command API requires `Authorization: Bearer <token>`. */
  readonly apiToken: string | undefined;
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
  return Object.freeze({
    port: portFrom(env, 'PORT', 8081),
    natsUrl: natsUrlFrom(env),
    apiToken: env.GRAYLANE_CONFIG_TOKEN === '' ? undefined : env.GRAYLANE_CONFIG_TOKEN,
    logLevel: stringFrom(env, 'LOG_LEVEL', 'info'),
    replicaId: stringFrom(env, 'GRAYLANE_REPLICA_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
    stepTickMs,
    // Renewed at half-life, so one slow tick is no failover; 15 s is the takeover time by default.
    stepLeaseMs: positiveIntFrom(env, 'GRAYLANE_STEP_LEASE_MS', Math.max(stepTickMs * 5, 15_000)),
  });
}
