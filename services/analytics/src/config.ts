import {
  bindHostFrom,
  ConfigError,
  drainGraceFrom,
  jetstreamReplicasFrom,
  httpAuthFrom,
  DEFAULT_CLICKHOUSE_URL,
  natsAuthFrom,
  natsUrlFrom,
  type NatsAuth,
  portFrom,
  positiveIntFrom,
  stringFrom,
  urlFrom,
  type Env,
} from '@graylane/runtime';
import type { AnalyticsAccess } from './http/access-hook.js';

/** Everything the analytics service reads from its environment, validated and frozen. */
export interface AnalyticsConfig {
  readonly port: number;
  /** `GRAYLANE_HTTP_HOST`: where the HTTP API and dashboard listen; loopback unless published on purpose. */
  readonly host: string;
  /** Tokens for writes (closed without one) and, optionally, for reading reports. */
  readonly access: AnalyticsAccess;
  readonly natsUrl: string;
  /** This process's NATS credentials and TLS (GRAYLANE_NATS_*), undefined on an open bus. */
  readonly natsAuth: NatsAuth | undefined;
  readonly clickhouseUrl: string;
  readonly clickhouseDatabase: string;
  /** Insert once this many series are waiting, whatever their age. */
  readonly flushMaxRows: number;
  /** Insert once the oldest waiting series is this old, however few there are. */
  readonly flushMaxMs: number;
  /** Insert once this many histogram bucket rows are waiting. */
  readonly flushMaxBucketRows: number;
  /** How long after a guardrail window ends it is judged, so its metrics are in ClickHouse. */
  readonly guardrailSettleMs: number;
  /** How often the guardrail loop looks for windows that are due. */
  readonly guardrailTickMs: number;
  /** `GRAYLANE_DRAIN_GRACE_MS`: how long report and API requests in flight get to finish on shutdown. */
  readonly drainGraceMs: number;
  /** `GRAYLANE_RETENTION_DAYS`: rows older than this leave the tables (TTL, or partition drops on 18.16). */
  readonly retentionDays: number;
  /** `GRAYLANE_CLICKHOUSE_CLUSTER`: write the schema ON CLUSTER with Distributed tables; undefined on one server. */
  readonly clickhouseCluster: string | undefined;
  /** `GRAYLANE_JETSTREAM_REPLICAS`: replicas of the streams and the config bucket when analytics creates them. */
  readonly jetstreamReplicas: number;
  /**
   * `GRAYLANE_CONFIG_URL`: the config service's HTTP API, where the dashboard relays an operator's
   * actions with the operator's own token. Unset: the dashboard is read-only.
   */
  readonly configUrl: string | undefined;
}

export const DEFAULT_ANALYTICS_PORT = 8082;
export const DEFAULT_CLICKHOUSE_DATABASE = 'graylane';
export const DEFAULT_FLUSH_MAX_ROWS = 5000;
export const DEFAULT_FLUSH_MAX_MS = 500;
export const DEFAULT_FLUSH_MAX_BUCKET_ROWS = 100_000;
// Proxies publish every ~1 s and analytics inserts within 500 ms: 2 s leaves room for both.
export const DEFAULT_GUARDRAIL_SETTLE_MS = 2_000;
export const DEFAULT_GUARDRAIL_TICK_MS = 250;
export const DEFAULT_RETENTION_DAYS = 30;

// The database name is spliced into every statement, so it must be a plain identifier.
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Reads and checks the environment once at start. Throws a ConfigError naming the variable, the
 * expected form and the value found.
 */
export function loadConfig(env: Env): AnalyticsConfig {
  const clickhouseDatabase = stringFrom(env, 'GRAYLANE_CLICKHOUSE_DATABASE', DEFAULT_CLICKHOUSE_DATABASE);
  if (!DATABASE_NAME.test(clickhouseDatabase)) {
    throw new ConfigError(
      'GRAYLANE_CLICKHOUSE_DATABASE',
      `expected a database name of letters, digits and _ (not starting with a digit), got "${clickhouseDatabase}"`,
    );
  }
  const clickhouseCluster = env.GRAYLANE_CLICKHOUSE_CLUSTER ?? '';
  // Spliced into DDL (ON CLUSTER, Distributed(...)) like the database name.
  if (clickhouseCluster !== '' && !DATABASE_NAME.test(clickhouseCluster)) {
    throw new ConfigError(
      'GRAYLANE_CLICKHOUSE_CLUSTER',
      `expected a cluster name of letters, digits and _ (not starting with a digit), as in the servers' remote_servers, got "${clickhouseCluster}"`,
    );
  }
  const readToken = env.GRAYLANE_ANALYTICS_READ_TOKEN ?? '';
  return Object.freeze({
    port: portFrom(env, 'PORT', DEFAULT_ANALYTICS_PORT),
    host: bindHostFrom(env, 'GRAYLANE_HTTP_HOST'),
    access: Object.freeze({
      writes: httpAuthFrom(env, 'GRAYLANE_ANALYTICS_TOKEN', 'GRAYLANE_ANALYTICS_AUTH'),
      // Reads have no "closed" default: unset means open, as documented; set means this token.
      reads: readToken === '' ? undefined : httpAuthFrom({ GRAYLANE_ANALYTICS_READ_TOKEN: readToken }, 'GRAYLANE_ANALYTICS_READ_TOKEN', 'GRAYLANE_ANALYTICS_READ_AUTH'),
    }),
    natsUrl: natsUrlFrom(env),
    natsAuth: natsAuthFrom(env),
    clickhouseUrl: urlFrom(env, 'GRAYLANE_CLICKHOUSE_URL', DEFAULT_CLICKHOUSE_URL, ['http', 'https']),
    clickhouseDatabase,
    flushMaxRows: positiveIntFrom(env, 'GRAYLANE_ANALYTICS_FLUSH_MAX_ROWS', DEFAULT_FLUSH_MAX_ROWS),
    flushMaxMs: positiveIntFrom(env, 'GRAYLANE_ANALYTICS_FLUSH_MAX_MS', DEFAULT_FLUSH_MAX_MS),
    flushMaxBucketRows: positiveIntFrom(env, 'GRAYLANE_ANALYTICS_FLUSH_MAX_BUCKET_ROWS', DEFAULT_FLUSH_MAX_BUCKET_ROWS),
    guardrailSettleMs: positiveIntFrom(env, 'GRAYLANE_ANALYTICS_GUARDRAIL_SETTLE_MS', DEFAULT_GUARDRAIL_SETTLE_MS),
    guardrailTickMs: positiveIntFrom(env, 'GRAYLANE_ANALYTICS_GUARDRAIL_TICK_MS', DEFAULT_GUARDRAIL_TICK_MS),
    drainGraceMs: drainGraceFrom(env),
    retentionDays: positiveIntFrom(env, 'GRAYLANE_RETENTION_DAYS', DEFAULT_RETENTION_DAYS),
    clickhouseCluster: clickhouseCluster === '' ? undefined : clickhouseCluster,
    jetstreamReplicas: jetstreamReplicasFrom(env),
    configUrl: (env.GRAYLANE_CONFIG_URL ?? '') === '' ? undefined : urlFrom(env, 'GRAYLANE_CONFIG_URL', 'http://127.0.0.1:8081', ['http', 'https']).replace(/\/+$/, ''),
  });
}
