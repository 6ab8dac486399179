import { availableParallelism, hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { bindHostFrom, ConfigError, httpAuthFrom, jetstreamReplicasFrom, natsAuthFrom, natsUrlFrom, type NatsAuth, portFrom, positiveIntFrom, stringFrom, type Env, type HttpAuth } from '@graylane/runtime';
import { forwardingConfigFrom, type ForwardingConfig } from './forward/forwarding-config.js';
import { clientLimitsFrom, type ClientLimits } from './http/client-limits.js';
import { sessionConfigFrom, type SessionConfig } from './session/session-config.js';

/** The proxy's settings, read once from the environment. */
export interface ProxyConfig {
  readonly port: number;
  readonly adminPort: number;
  /** `GRAYLANE_ADMIN_HOST`: where the admin port listens; loopback unless published on purpose. */
  readonly adminHost: string;
  /** `GRAYLANE_ADMIN_TOKEN` / `GRAYLANE_ADMIN_AUTH`: who may write on the admin port (closed by default). */
  readonly adminAuth: HttpAuth;
  readonly natsUrl: string;
  /** This process's NATS credentials and TLS (GRAYLANE_NATS_*), undefined on an open bus. */
  readonly natsAuth: NatsAuth | undefined;
  /** Unique per process; names the metric subject and the heartbeat. Workers add `-w<N>`. */
  readonly proxyId: string;
  /** Data-plane processes: 1 runs today's single process; more run a primary and that many workers (workers/). */
  readonly workers: number;
  readonly metricsIntervalMs: number;
  /** Batches kept while NATS cannot take them; older ones are dropped and counted beyond this. */
  readonly maxUnsentBatches: number;
  readonly upstreamTimeoutMs: number;
  readonly logLevel: string;
  /** Upstream pools, health checks, forwarded headers and drain (forward/forwarding-config.ts). */
  readonly forwarding: ForwardingConfig;
  /** Header and body-idle timeouts for data-plane clients (http/client-limits.ts). */
  readonly clientLimits: ClientLimits;
  /** Redis for session bindings and user sets, the local cache bounds, the override secret (session/session-config.ts). */
  readonly sessions: SessionConfig;
  /** `GRAYLANE_JETSTREAM_REPLICAS`: replicas of the metrics stream and config bucket when this proxy creates them. */
  readonly jetstreamReplicas: number;
}

export function loadConfig(env: Env): ProxyConfig {
  return Object.freeze({
    port: portFrom(env, 'PORT', 8080),
    adminPort: portFrom(env, 'ADMIN_PORT', 9901),
    adminHost: bindHostFrom(env, 'GRAYLANE_ADMIN_HOST'),
    adminAuth: httpAuthFrom(env, 'GRAYLANE_ADMIN_TOKEN', 'GRAYLANE_ADMIN_AUTH'),
    natsUrl: natsUrlFrom(env),
    natsAuth: natsAuthFrom(env),
    proxyId: stringFrom(env, 'GRAYLANE_PROXY_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`).replace(
      /[^A-Za-z0-9_-]/g,
      '_',
    ),
    workers: workersFrom(env),
    metricsIntervalMs: positiveIntFrom(env, 'GRAYLANE_METRICS_INTERVAL_MS', 1000),
    maxUnsentBatches: positiveIntFrom(env, 'GRAYLANE_MAX_UNSENT_BATCHES', 600),
    upstreamTimeoutMs: positiveIntFrom(env, 'GRAYLANE_UPSTREAM_TIMEOUT_MS', 30_000),
    logLevel: stringFrom(env, 'LOG_LEVEL', 'info'),
    forwarding: forwardingConfigFrom(env),
    clientLimits: clientLimitsFrom(env),
    sessions: sessionConfigFrom(env),
    jetstreamReplicas: jetstreamReplicasFrom(env),
  });
}

/** More workers than this is a typo, not a machine: each is a full data plane with its own connections. */
export const MAX_WORKERS = 256;

/** GRAYLANE_PROXY_WORKERS: a count from 1 to MAX_WORKERS; unset means one per core this process may use. */
function workersFrom(env: Env): number {
  const workers = positiveIntFrom(env, 'GRAYLANE_PROXY_WORKERS', availableParallelism());
  if (workers > MAX_WORKERS) throw new ConfigError('GRAYLANE_PROXY_WORKERS', `expected at most ${MAX_WORKERS}, got "${env.GRAYLANE_PROXY_WORKERS}"`);
  return workers;
}
