import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { natsAuthFrom, natsUrlFrom, type NatsAuth, portFrom, positiveIntFrom, stringFrom, type Env } from '@graylane/runtime';
import { forwardingConfigFrom, type ForwardingConfig } from './forward/forwarding-config.js';
import { sessionConfigFrom, type SessionConfig } from './session/session-config.js';

/** The proxy's settings, read once from the environment. */
export interface ProxyConfig {
  readonly port: number;
  readonly adminPort: number;
  readonly natsUrl: string;
  /** This process's NATS credentials and TLS (GRAYLANE_NATS_*), undefined on an open bus. */
  readonly natsAuth: NatsAuth | undefined;
  /** Unique per process; names the metric subject and the heartbeat. */
  readonly proxyId: string;
  readonly metricsIntervalMs: number;
  /** Batches kept while NATS cannot take them; older ones are dropped and counted beyond this. */
  readonly maxUnsentBatches: number;
  readonly upstreamTimeoutMs: number;
  readonly logLevel: string;
  /** Upstream pools, health checks, forwarded headers and drain (forward/forwarding-config.ts). */
  readonly forwarding: ForwardingConfig;
  /** Redis for session bindings and user sets, the local cache bounds, the override secret (session/session-config.ts). */
  readonly sessions: SessionConfig;
}

export function loadConfig(env: Env): ProxyConfig {
  return Object.freeze({
    port: portFrom(env, 'PORT', 8080),
    adminPort: portFrom(env, 'ADMIN_PORT', 9901),
    natsUrl: natsUrlFrom(env),
    natsAuth: natsAuthFrom(env),
    proxyId: stringFrom(env, 'GRAYLANE_PROXY_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`).replace(
      /[^A-Za-z0-9_-]/g,
      '_',
    ),
    metricsIntervalMs: positiveIntFrom(env, 'GRAYLANE_METRICS_INTERVAL_MS', 1000),
    maxUnsentBatches: positiveIntFrom(env, 'GRAYLANE_MAX_UNSENT_BATCHES', 600),
    upstreamTimeoutMs: positiveIntFrom(env, 'GRAYLANE_UPSTREAM_TIMEOUT_MS', 30_000),
    logLevel: stringFrom(env, 'LOG_LEVEL', 'info'),
    forwarding: forwardingConfigFrom(env),
    sessions: sessionConfigFrom(env),
  });
}
