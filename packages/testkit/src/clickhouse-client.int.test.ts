// Checks that @clickhouse/client 1.x works against the ClickHouse that Debian bookworm ships
// (18.16), and pins down what the project's code has to do differently on it.
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouse, type RunningServer } from './index.js';

/** How 18.16 words an error; the client's ClickHouseError parser expects the newer "Code: N. DB::Exception: …". */
const ERROR_18_16 = /^Code: (\d+), e\.displayText\(\) = DB::Exception: (.*?), e\.what\(\) = DB::Exception/s;

let server: RunningServer;
let client: ClickHouseClient;

beforeAll(async () => {
  server = await startClickHouse();
  // Default options work. The client logs every failed request at ERROR itself, which only adds
  // noise to tests that expect failures.
  client = createClient({ url: server.url, log: { level: ClickHouseLogLevel.OFF } });
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS graylane' });
}, 30_000);

afterAll(async () => {
  await client.close();
  await server.stop();
});

async function rows<T>(query: string, settings: Record<string, string | number> = {}): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: settings });
  return result.json<T>();
}

async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('@clickhouse/client on ClickHouse 18.16 over HTTP', { timeout: 30_000 }, () => {
  it('runs against the ClickHouse that Debian bookworm ships', async () => {
    expect(await client.ping()).toEqual({ success: true });
    expect(await rows<{ v: string }>('SELECT version() AS v')).toEqual([{ v: '18.16.1' }]);
  });

  it('creates MergeTree tables with PARTITION BY and ORDER BY (no PRIMARY KEY), inserts and reads JSONEachRow and JSON', async () => {
    await client.command({
      query: `CREATE TABLE graylane.latency (at DateTime, rollout String, arm String, ms Float64)
              ENGINE = MergeTree() PARTITION BY toYYYYMM(at) ORDER BY (rollout, arm, at)`,
    });
    await client.insert({
      table: 'graylane.latency',
      format: 'JSONEachRow',
      values: [
        { at: '2024-05-01 10:00:00', rollout: 'checkout', arm: 'canary', ms: 12.5 },
        { at: '2024-05-01 10:00:01', rollout: 'checkout', arm: 'stable', ms: 8 },
      ],
    });

    expect(await rows('SELECT arm, ms FROM graylane.latency ORDER BY arm')).toEqual([
      { arm: 'canary', ms: 12.5 },
      { arm: 'stable', ms: 8 },
    ]);
    const json = await (await client.query({ query: 'SELECT count() AS n FROM graylane.latency', format: 'JSON' })).json<{ n: string }>();
    expect(json.meta).toEqual([{ name: 'n', type: 'UInt64' }]);
    expect(json.data).toEqual([{ n: '2' }]);
    expect(json.rows).toBe(1);
  });

  it('collapses ReplacingMergeTree rows to the highest version with SELECT … FINAL', async () => {
    await client.command({
      query: `CREATE TABLE graylane.rollouts (name String, state String, version UInt32)
              ENGINE = ReplacingMergeTree(version) ORDER BY name`,
    });
    // Two inserts make two parts, so FINAL has something to collapse.
    await client.insert({ table: 'graylane.rollouts', format: 'JSONEachRow', values: [{ name: 'checkout', state: 'ramping', version: 1 }] });
    await client.insert({ table: 'graylane.rollouts', format: 'JSONEachRow', values: [{ name: 'checkout', state: 'rolled_back', version: 2 }] });

    expect(await rows('SELECT state FROM graylane.rollouts ORDER BY version')).toHaveLength(2);
    expect(await rows('SELECT name, state, version FROM graylane.rollouts FINAL')).toEqual([
      { name: 'checkout', state: 'rolled_back', version: 2 },
    ]);
  });

  it('takes DateTime from JSON as "YYYY-MM-DD hh:mm:ss" or unix seconds; ISO 8601 only with date_time_input_format=best_effort', async () => {
    await client.command({ query: 'CREATE TABLE graylane.times (k String, at DateTime) ENGINE = MergeTree() ORDER BY k' });
    const iso = { k: 'iso', at: new Date('2024-01-02T03:04:05.678Z') }; // JSON.stringify writes ISO 8601

    const error = await failure(() => client.insert({ table: 'graylane.times', format: 'JSONEachRow', values: [iso] }));
    expect(error.message).toMatch(/^Code: 27, .*Cannot parse input/s);

    await client.insert({
      table: 'graylane.times',
      format: 'JSONEachRow',
      values: [{ k: 'text', at: '2024-01-02 03:04:05' }, { k: 'unix', at: 1704164645 }],
    });
    await client.insert({
      table: 'graylane.times',
      format: 'JSONEachRow',
      values: [iso],
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    // The server runs in UTC; milliseconds are dropped.
    expect(await rows('SELECT k, at, toUnixTimestamp(at) AS unix FROM graylane.times ORDER BY k')).toEqual([
      { k: 'iso', at: '2024-01-02 03:04:05', unix: 1704164645 },
      { k: 'text', at: '2024-01-02 03:04:05', unix: 1704164645 },
      { k: 'unix', at: '2024-01-02 03:04:05', unix: 1704164645 },
    ]);
  });

  it('round-trips Nullable columns, also when insert names only some columns', async () => {
    await client.command({ query: 'CREATE TABLE graylane.nulls (k String, p99 Nullable(Float64)) ENGINE = MergeTree() ORDER BY k' });
    await client.insert({ table: 'graylane.nulls', format: 'JSONEachRow', values: [{ k: 'a', p99: null }, { k: 'b', p99: 1.5 }] });
    await client.insert({ table: 'graylane.nulls', format: 'JSONEachRow', values: [{ k: 'c' }], columns: ['k'] });

    expect(await rows('SELECT k, p99 FROM graylane.nulls ORDER BY k')).toEqual([
      { k: 'a', p99: null },
      { k: 'b', p99: 1.5 },
      { k: 'c', p99: null },
    ]);
  });

  it('returns 64-bit integers as JSON strings unless output_format_json_quote_64bit_integers=0', async () => {
    expect(await rows('SELECT toUInt64(42) AS n')).toEqual([{ n: '42' }]);
    expect(await rows('SELECT toUInt64(42) AS n', { output_format_json_quote_64bit_integers: 0 })).toEqual([{ n: 42 }]);
  });

  it('allows LowCardinality only with allow_experimental_low_cardinality_type=1', async () => {
    const ddl = 'CREATE TABLE graylane.arms (arm LowCardinality(String)) ENGINE = MergeTree() ORDER BY arm';
    const error = await failure(() => client.command({ query: ddl }));
    expect(error.message).toMatch(/LowCardinality type is not allowed/);

    await client.command({ query: ddl, clickhouse_settings: { allow_experimental_low_cardinality_type: 1 } });
    await client.insert({ table: 'graylane.arms', format: 'JSONEachRow', values: [{ arm: 'canary' }] });
    expect(await rows('SELECT arm FROM graylane.arms')).toEqual([{ arm: 'canary' }]);
  });

  it('has quantileExactWeighted and quantilesExactWeighted', async () => {
    expect(await rows('SELECT quantileExactWeighted(0.99)(number, 1) AS q FROM numbers(10)')).toEqual([{ q: '9' }]);
    expect(await rows('SELECT quantilesExactWeighted(0.5, 0.99)(number, 1) AS q FROM numbers(10)')).toEqual([{ q: ['4', '9'] }]);
    // Weights 10, 9, 8, … for 0, 1, 2, …: the cumulative weight first reaches half of 55 at 3.
    const weighted = 'SELECT toFloat64(number) AS ms, toUInt64(10 - number) AS n FROM numbers(10)';
    expect(await rows(`SELECT quantileExactWeighted(0.5)(ms, n) AS q FROM (${weighted})`)).toEqual([{ q: 3 }]);
  });

  it('works with gzip compression of requests and responses', async () => {
    const gzip = createClient({ url: server.url, compression: { request: true, response: true }, log: { level: ClickHouseLogLevel.OFF } });
    try {
      await gzip.insert({ table: 'graylane.nulls', format: 'JSONEachRow', values: [{ k: 'gz', p99: 2.5 }] });
      const result = await gzip.query({ query: "SELECT p99 FROM graylane.nulls WHERE k = 'gz'", format: 'JSONEachRow' });
      expect(await result.json()).toEqual([{ p99: 2.5 }]);
    } finally {
      await gzip.close();
    }
  });

  it('keeps SET settings within a session_id', async () => {
    const session = createClient({ url: server.url, session_id: 'graylane-check', log: { level: ClickHouseLogLevel.OFF } });
    try {
      await session.command({ query: 'SET allow_experimental_low_cardinality_type = 1' });
      await session.command({ query: 'CREATE TABLE graylane.arms2 (arm LowCardinality(String)) ENGINE = MergeTree() ORDER BY arm' });
    } finally {
      await session.close();
    }
    expect(await rows("SELECT type FROM system.columns WHERE database = 'graylane' AND table = 'arms2'")).toEqual([
      { type: 'LowCardinality(String)' },
    ]);
  });

  it('rejects query_params: 18.16 has no {name:Type} parameters and takes param_* for an unknown setting', async () => {
    const error = await failure(() =>
      client.query({ query: 'SELECT {n:UInt32} AS n', format: 'JSONEachRow', query_params: { n: 1 } }),
    );
    expect(error.message).toMatch(/^Code: 115, .*Unknown setting param_n/s);
  });

  it('reports server errors as plain Errors whose message holds the code, not as ClickHouseError', async () => {
    const error = await failure(() => rows('SELECT * FROM graylane.no_such_table'));
    expect(error).not.toBeInstanceOf(ClickHouseError);
    const [, code, message] = ERROR_18_16.exec(error.message) ?? [];
    expect(code).toBe('60');
    expect(message).toBe("Table graylane.no_such_table doesn't exist.");
  });

  it.each([
    ['DateTime64', 'CREATE TABLE graylane.x1 (at DateTime64(3)) ENGINE = MergeTree() ORDER BY at', /Unknown data type family: DateTime64/],
    ['Map', 'CREATE TABLE graylane.x2 (m Map(String, UInt8)) ENGINE = MergeTree() ORDER BY tuple()', /Unknown data type family: Map/],
    ['TTL', 'CREATE TABLE graylane.x3 (at DateTime) ENGINE = MergeTree() ORDER BY at TTL at + INTERVAL 1 DAY', /Syntax error/],
    ['JSONCompactEachRow', 'SELECT 1 FORMAT JSONCompactEachRow', /Unknown format JSONCompactEachRow/],
  ])('lacks %s', async (_feature, query, expected) => {
    const error = await failure(() => client.command({ query }));
    expect(error.message).toMatch(expected);
  });
});
