import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError, bindHostFrom, drainGraceFrom, jetstreamReplicasFrom, natsAuthFrom, natsUrlFrom, type NatsAuth, portFrom, positiveIntFrom, stringFrom, type Env, type HttpAuth } from '@graylane/runtime';
import { configApiAuthFrom } from './http/token-identities.js';

/** The config service's settings, read once from the environment. */
export interface ConfigServiceConfig {
  readonly port: number;
  readonly natsUrl: string;
  /** `GRAYLANE_HTTP_HOST`: where the HTTP API listens; loopback unless published on purpose. */
  readonly host: string;
  /**
   * Who may call the HTTP command API (GRAYLANE_CONFIG_TOKENS, GRAYLANE_CONFIG_TOKEN,
   * GRAYLANE_CONFIG_AUTH): a call needs `Authorization: Bearer <token>` and records the token's
   * name as the actor; without any token the API refuses every call unless GRAYLANE_CONFIG_AUTH=off.
   */
  readonly apiAuth: HttpAuth;
  /** This process's NATS credentials and TLS (GRAYLANE_NATS_*), undefined on an open bus. */
  readonly natsAuth: NatsAuth | undefined;
  /**
   * Whether commands on graylane.cmd.v1 (no identity) are answered. Default: only when this
   * service has no NATS credentials, i.e. on an open bus; on a closed one they are refused.
   */
  readonly acceptV1Commands: boolean;
  readonly logLevel: string;
  /** `GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS`: accept upstreams in link-local and cloud metadata ranges. */
  readonly allowLinkLocalUpstreams: boolean;
  /** Names this replica in the step lease. */
  readonly replicaId: string;
  /** How often the step driver renews its lease and looks for steps to advance. */
  readonly stepTickMs: number;
  /** How long a lease lasts without renewal: the takeover time after a replica dies. */
  readonly stepLeaseMs: number;
  /** `GRAYLANE_DRAIN_GRACE_MS`: how long API calls in flight get to finish on shutdown. */
  readonly drainGraceMs: number;
  /** `GRAYLANE_JETSTREAM_REPLICAS`: replicas of the events stream and the config bucket when created. */
  readonly jetstreamReplicas: number;
}

export function loadConfig(env: Env): ConfigServiceConfig {
  const stepTickMs = positiveIntFrom(env, 'GRAYLANE_STEP_TICK_MS', 1000);
  const natsAuth = natsAuthFrom(env);
  return Object.freeze({
    port: portFrom(env, 'PORT', 8081),
    natsUrl: natsUrlFrom(env),
    host: bindHostFrom(env, 'GRAYLANE_HTTP_HOST'),
    apiAuth: configApiAuthFrom(env),
    allowLinkLocalUpstreams: booleanFrom(env, 'GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS'),
    natsAuth,
    acceptV1Commands: acceptV1From(env, natsAuth),
    logLevel: stringFrom(env, 'LOG_LEVEL', 'info'),
    replicaId: stringFrom(env, 'GRAYLANE_REPLICA_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
    stepTickMs,
    // Renewed at half-life, so one slow tick is no failover; 15 s is the takeover time by default.
    stepLeaseMs: positiveIntFrom(env, 'GRAYLANE_STEP_LEASE_MS', Math.max(stepTickMs * 5, 15_000)),
    drainGraceMs: drainGraceFrom(env),
    jetstreamReplicas: jetstreamReplicasFrom(env),
  });
}

/** `true` or `false` (default false); anything else names the variable. */
function booleanFrom(env: Env, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(name, `expected "true" or "false", got "${env[name] ?? ''}"`);
}

function acceptV1From(env: Env, natsAuth: NatsAuth | undefined): boolean {
  const raw = env.GRAYLANE_CONFIG_V1_COMMANDS;
  if (raw === undefined || raw === '') return natsAuth === undefined;
  if (raw === 'accept' || raw === 'refuse') return raw === 'accept';
  throw new ConfigError('GRAYLANE_CONFIG_V1_COMMANDS', `expected "accept" or "refuse", got "${raw}"`);
}
