import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 8082,
      host: '127.0.0.1',
      access: {
        writes: { tokens: [], open: false, tokenVariable: 'GRAYLANE_ANALYTICS_TOKEN', switchVariable: 'GRAYLANE_ANALYTICS_AUTH' },
        reads: undefined,
      },
      natsUrl: 'nats://127.0.0.1:4222',
      clickhouseUrl: 'http://127.0.0.1:8123',
      clickhouseDatabase: 'graylane',
      flushMaxRows: 5000,
      flushMaxMs: 500,
      flushMaxBucketRows: 100000,
      guardrailSettleMs: 2000,
      guardrailTickMs: 250,
      drainGraceMs: 10000,
      retentionDays: 30,
      clickhouseCluster: undefined,
      jetstreamReplicas: 1,
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      GRAYLANE_NATS_URL: 'nats://nats:4222',
      GRAYLANE_CLICKHOUSE_URL: 'https://ch.example:8443',
      GRAYLANE_CLICKHOUSE_DATABASE: 'metrics_1',
      GRAYLANE_ANALYTICS_FLUSH_MAX_ROWS: '100',
      GRAYLANE_ANALYTICS_FLUSH_MAX_MS: '50',
    });
    expect(config).toMatchObject({ port: 9000, clickhouseUrl: 'https://ch.example:8443', clickhouseDatabase: 'metrics_1' });
    expect(config.flushMaxRows).toBe(100);
    expect(config.flushMaxMs).toBe(50);
  });

  it('reads the retention, the cluster and the drain grace', () => {
    const config = loadConfig({ GRAYLANE_RETENTION_DAYS: '7', GRAYLANE_CLICKHOUSE_CLUSTER: 'graylane_cluster', GRAYLANE_DRAIN_GRACE_MS: '15000' });
    expect(config).toMatchObject({ retentionDays: 7, clickhouseCluster: 'graylane_cluster', drainGraceMs: 15000 });
  });

  it.each([
    [{ GRAYLANE_CLICKHOUSE_URL: 'tcp://ch:9000' }, /GRAYLANE_CLICKHOUSE_URL: expected a http or https URL, got "tcp:\/\/ch:9000"/],
    [{ GRAYLANE_CLICKHOUSE_DATABASE: 'drop table;' }, /GRAYLANE_CLICKHOUSE_DATABASE: expected a database name/],
    [{ GRAYLANE_ANALYTICS_FLUSH_MAX_MS: '0' }, /GRAYLANE_ANALYTICS_FLUSH_MAX_MS: expected a positive integer, got "0"/],
    [{ PORT: 'x' }, /PORT: expected a port number/],
    [{ GRAYLANE_RETENTION_DAYS: '0' }, /GRAYLANE_RETENTION_DAYS: expected a positive integer, got "0"/],
    [{ GRAYLANE_CLICKHOUSE_CLUSTER: 'c1; DROP' }, /GRAYLANE_CLICKHOUSE_CLUSTER: expected a cluster name/],
    [{ GRAYLANE_DRAIN_GRACE_MS: '15s' }, /GRAYLANE_DRAIN_GRACE_MS: expected a positive integer/],
    [{ GRAYLANE_JETSTREAM_REPLICAS: '7' }, /GRAYLANE_JETSTREAM_REPLICAS: expected a whole number from 1 to 5, got "7"/],
    [{ GRAYLANE_HTTP_HOST: 'anywhere' }, /GRAYLANE_HTTP_HOST: expected an IP address/],
    [{ GRAYLANE_ANALYTICS_TOKEN: 'short' }, /GRAYLANE_ANALYTICS_TOKEN: expected at least 16 characters/],
    [{ GRAYLANE_ANALYTICS_READ_TOKEN: 'short' }, /GRAYLANE_ANALYTICS_READ_TOKEN: expected at least 16 characters/],
  ])('names the variable of a bad value (%o)', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
