import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { bindHostFrom, httpAuthFrom, natsUrlFrom, portFrom, positiveIntFrom, stringFrom, type Env, type HttpAuth } from '@graylane/runtime';
import { forwardingConfigFrom, type ForwardingConfig } from './forward/forwarding-config.js';
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
    adminHost: bindHostFrom(env, 'GRAYLANE_ADMIN_HOST'),
    adminAuth: httpAuthFrom(env, 'GRAYLANE_ADMIN_TOKEN', 'GRAYLANE_ADMIN_AUTH'),
    natsUrl: natsUrlFrom(env),
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
