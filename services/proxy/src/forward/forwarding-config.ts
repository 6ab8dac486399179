import { ConfigError, drainGraceFrom, positiveIntFrom, stringFrom, type Env } from '@graylane/runtime';
import type { ActiveCheckSettings } from '../health/active-checker.js';
import type { OutlierSettings } from '../health/outlier-detector.js';
import type { LoadBalancingPolicy } from './balancer.js';
import type { HostMode } from './forwarded-headers.js';
import { ENGINES, type ForwardingEngine } from './forwarder.js';
import { TrustedProxies } from './trusted-proxies.js';
import type { KeepAliveLimits } from './upstream-pool.js';

/**
 * How the proxy talks to upstreams, for every pool. The rollout spec has no per-pool fields for
 * these yet, so they are process-wide settings from the environment.
 */
export interface ForwardingConfig {
  /** Which forwarding engine streams requests (docs/decisions/0003-own-upstream-client.md). */
  readonly engine: ForwardingEngine;
  readonly loadBalancing: LoadBalancingPolicy;
  readonly connectTimeoutMs: number;
  readonly keepAlive: KeepAliveLimits;
  readonly hostMode: HostMode;
  readonly trustedProxies: TrustedProxies;
  readonly activeChecks: ActiveCheckSettings;
  readonly outlier: OutlierSettings;
  /** Share of requests that may be retries (idempotent, bodiless, no answer yet). */
  readonly retryRatio: number;
  /** How long a shutdown waits for in-flight requests before cutting them. */
  readonly drainGraceMs: number;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = stringFrom(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function trustedProxiesFrom(env: Env): TrustedProxies {
  const name = 'GRAYLANE_TRUSTED_PROXIES';
  const cidrs = stringFrom(env, name, '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  try {
    return new TrustedProxies(cidrs);
  } catch (error) {
    throw new ConfigError(name, `expected comma-separated CIDRs like "10.0.0.0/8, ::1/128": ${(error as Error).message}`);
  }
}

/** Reads the forwarding settings; errors name the variable and the expected form. */
export function forwardingConfigFrom(env: Env): ForwardingConfig {
  const healthPath = stringFrom(env, 'GRAYLANE_HEALTH_CHECK_PATH', '');
  if (healthPath !== '' && !healthPath.startsWith('/')) {
    throw new ConfigError('GRAYLANE_HEALTH_CHECK_PATH', `expected a path starting with "/", got "${healthPath}"`);
  }
  return Object.freeze({
    engine: oneOf<ForwardingEngine>(env, 'GRAYLANE_FORWARDING_ENGINE', ENGINES, ENGINES[0]),
    loadBalancing: oneOf(env, 'GRAYLANE_LB_POLICY', ['round-robin', 'least-outstanding'] as const, 'least-outstanding'),
    connectTimeoutMs: positiveIntFrom(env, 'GRAYLANE_CONNECT_TIMEOUT_MS', 2_000),
    keepAlive: Object.freeze({
      maxSockets: positiveIntFrom(env, 'GRAYLANE_UPSTREAM_MAX_CONNECTIONS', 1024),
      maxFreeSockets: positiveIntFrom(env, 'GRAYLANE_UPSTREAM_MAX_IDLE_CONNECTIONS', 256),
      idleTimeoutMs: positiveIntFrom(env, 'GRAYLANE_UPSTREAM_IDLE_TIMEOUT_MS', 30_000),
    }),
    hostMode: oneOf(env, 'GRAYLANE_HOST_HEADER', ['keep', 'rewrite'] as const, 'keep'),
    trustedProxies: trustedProxiesFrom(env),
    activeChecks: Object.freeze({
      path: healthPath === '' ? undefined : healthPath,
      intervalMs: positiveIntFrom(env, 'GRAYLANE_HEALTH_CHECK_INTERVAL_MS', 5_000),
      timeoutMs: positiveIntFrom(env, 'GRAYLANE_HEALTH_CHECK_TIMEOUT_MS', 1_000),
      unhealthyThreshold: positiveIntFrom(env, 'GRAYLANE_HEALTH_CHECK_UNHEALTHY_THRESHOLD', 2),
      healthyThreshold: positiveIntFrom(env, 'GRAYLANE_HEALTH_CHECK_HEALTHY_THRESHOLD', 2),
    }),
    outlier: Object.freeze({
      consecutiveFailures: positiveIntFrom(env, 'GRAYLANE_OUTLIER_CONSECUTIVE_FAILURES', 5),
      baseEjectionMs: positiveIntFrom(env, 'GRAYLANE_OUTLIER_BASE_EJECTION_MS', 5_000),
      maxEjectionMs: positiveIntFrom(env, 'GRAYLANE_OUTLIER_MAX_EJECTION_MS', 300_000),
    }),
    retryRatio: positiveIntFrom(env, 'GRAYLANE_RETRY_BUDGET_PERCENT', 20) / 100,
    drainGraceMs: drainGraceFrom(env),
  });
}

/** The defaults, for tests and for `buildApp` callers that pass no environment. */
export const DEFAULT_FORWARDING: ForwardingConfig = forwardingConfigFrom({});
