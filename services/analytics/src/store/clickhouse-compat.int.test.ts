// The schema, the migrations, retention and every SQL statement of docs/reports.md, run on the
// ClickHouse CI has as a server (Debian's 18.16, started by @graylane/testkit) and on a current
// release (chdb: ClickHouse 26.x in this process), over the same generated rows, with the same
// answers. What the service sends is plain SQL text, so the same text goes to both.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { createLogger } from '@graylane/runtime';
import { startClickHouse, type RunningServer } from '@graylane/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chdbSqlRunner } from '../test-support/chdb-runner.js';
import { compatInserts, utcText } from '../test-support/compat-rows.js';
import { createClickHouse, type ClickHouseClient } from './clickhouse.js';
import { applyMigrations, MIGRATIONS } from './migrations.js';
import { poolBucketsSql, poolCountsSql, rolloutWindow, seriesBucketsSql, seriesCountsSql, verdictsSql } from './report-sql.js';
import { RetentionJob } from './retention-job.js';
import { retainedTables } from './retention.js';
import type { SchemaTarget } from './schema-target.js';
import { detectServer, featuresOf } from './server-features.js';
import { httpSqlRunner, type SqlRunner } from './sql-runner.js';

const logger = createLogger('clickhouse-compat', 'silent');
const DB = 'compat';
const REPORTS_MD = join(import.meta.dirname, '..', '..', '..', '..', 'docs', 'reports.md');

interface Engine {
  readonly label: string;
  readonly runner: SqlRunner;
  target: SchemaTarget;
}

let server: RunningServer;
let client: ClickHouseClient;
let session: Session;
let chdbDir: string;
const engines: Engine[] = [];

/** Every ```sql block of docs/reports.md, on the test database. */
function documentedStatements(): string[] {
  const text = readFileSync(REPORTS_MD, 'utf8');
  return [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) =>
    (match[1] as string).trim().replace(/\bgraylane\./g, `${DB}.`).replace(/database = 'graylane'/g, `database = '${DB}'`),
  );
}

/**
 * An answer in a form both servers agree on when they agree on the data: JSONEachRow quotes
 * 64-bit integers and the servers print floats differently, so numbers are compared as numbers
 * to 12 significant digits.
 */
function normalised(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalised);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalised(v)]));
  if (typeof value === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value)) return normalised(Number(value));
  if (typeof value === 'number') return Number(value.toPrecision(12));
  return value;
}

async function answers(sql: string): Promise<unknown[][]> {
  return Promise.all(engines.map(async (engine) => normalised(await engine.runner.rows(sql)) as unknown[]));
}

beforeAll(async () => {
  server = await startClickHouse();
  client = createClickHouse(server.url, logger);
  chdbDir = mkdtempSync(join(tmpdir(), 'graylane-chdb-'));
  session = new Session(chdbDir);
  for (const [label, runner] of [
    ['18.16 server', httpSqlRunner(client)],
    ['chdb', chdbSqlRunner(session)],
  ] as const) {
    engines.push({ label, runner, target: { database: DB, features: await detectServer(runner) } });
  }
  console.log(`ClickHouse versions: ${engines.map((engine) => `${engine.target.features.version} (${engine.label})`).join(' and ')}`);
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  session?.cleanup();
  if (chdbDir !== undefined) rmSync(chdbDir, { recursive: true, force: true });
});

describe('ClickHouse 18.16 and current', () => {
  it('are what the test says: 18.16 without TTL and LowCardinality, chdb a current release with both', () => {
    const [old, current] = engines.map((engine) => engine.target.features);
    expect(old).toMatchObject({ ttl: false, lowCardinality: false });
    expect(old?.version).toMatch(/^18\.16\./);
    expect(current).toMatchObject({ ttl: true, lowCardinality: true });
    expect(Number(current?.version.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('apply every migration, then none on a second run', async () => {
    for (const engine of engines) {
      expect(await applyMigrations(engine.runner, engine.target, logger)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await applyMigrations(engine.runner, engine.target, logger)).toEqual([]);
    }
    // LowCardinality where the server has it, String on 18.16.
    const types = await answers(`SELECT table, name, type FROM system.columns WHERE database = '${DB}' AND name IN ('rollout', 'status_class', 'schema') ORDER BY table, name`);
    expect(JSON.stringify(types[0])).not.toContain('LowCardinality');
    expect(types[1]).toContainEqual({ table: 'request_counts', name: 'rollout', type: 'LowCardinality(String)' });
    expect(types[1]).toContainEqual({ table: 'verdicts', name: 'schema', type: 'LowCardinality(String)' });
  });

  it('answer every statement of docs/reports.md the same over the same rows', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const engine of engines) for (const insert of compatInserts(DB, nowSeconds)) await engine.runner.command(insert);
    const statements = documentedStatements();
    expect(statements.length).toBeGreaterThanOrEqual(9);
    let withRows = 0;
    for (const sql of statements) {
      if (/^ALTER /.test(sql)) {
        for (const engine of engines) await engine.runner.command(sql);
        continue;
      }
      const [old, current] = await answers(sql);
      if (sql.includes('system.parts')) {
        // Part sizes and merge timing differ between releases; the partitions must not.
        const partitions = (rows: unknown[] | undefined): unknown[] => (rows ?? []).map((row) => [(row as { table: string }).table, (row as { partition: string }).partition]);
        expect(partitions(current), sql).toEqual(partitions(old));
      } else {
        expect(current, sql).toEqual(old);
      }
      if ((old?.length ?? 0) > 0) withRows += 1;
    }
    console.log(`docs/reports.md: ${statements.length} statements, ${withRows} answered with rows, the same on both`);
    // Only the per-day verdict count may be empty (in the minutes after midnight UTC).
    expect(withRows).toBeGreaterThanOrEqual(statements.filter((sql) => !sql.startsWith('ALTER')).length - 1);
  });

  it('answer the service report, series, guardrail and verdict queries the same, counting a batch written twice once', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const queries = [
      poolCountsSql(DB, rolloutWindow('checkout', nowSeconds - 900)),
      poolBucketsSql(DB, rolloutWindow('checkout', nowSeconds - 900)),
      poolCountsSql(DB, rolloutWindow('search', nowSeconds - 3000, nowSeconds - 1200)),
      poolBucketsSql(DB, rolloutWindow('search', nowSeconds - 3000, nowSeconds - 1200)),
      verdictsSql(DB, 'checkout', (nowSeconds - 1800) * 1000, 100),
      seriesCountsSql(DB, 'checkout', Math.floor((nowSeconds - 3000) / 300) * 300, 300),
      seriesBucketsSql(DB, 'checkout', Math.floor((nowSeconds - 3000) / 300) * 300, 300),
    ];
    for (const sql of queries) {
      const [old, current] = await answers(sql);
      expect(old?.length, sql).toBeGreaterThan(0);
      // GROUP BY without ORDER BY comes back in any order.
      const sorted = (rows: unknown[] | undefined): string[] => (rows ?? []).map((row) => JSON.stringify(row)).sort();
      expect(sorted(current), sql).toEqual(sorted(old));
    }
    const [once] = await answers(`SELECT sum(requests) AS total FROM ${DB}.request_counts FINAL`);
    const [twice] = await answers(`SELECT sum(requests) AS total FROM ${DB}.request_counts`);
    const total = (rows: unknown[] | undefined): number => Number((rows?.[0] as { total: number }).total);
    // Unmerged parts still hold both copies on at least one server; FINAL shows one.
    expect(total(twice)).toBeGreaterThanOrEqual(total(once));
  });
});

describe('retention', () => {
  const RDB = 'compat_retention';
  const DAY = 86_400;

  it('drops partitions past GRAYLANE_RETENTION_DAYS on 18.16 and sets a TTL on a current server, keeping recent rows', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const engine of engines) {
      const target = { ...engine.target, database: RDB };
      await applyMigrations(engine.runner, target, logger);
      for (const insert of compatInserts(RDB, nowSeconds - 40 * DAY, ['old'])) await engine.runner.command(insert);
      for (const insert of compatInserts(RDB, nowSeconds, ['recent'])) await engine.runner.command(insert);
      const job = new RetentionJob(engine.runner, target, 30, logger);
      const pass = await job.runOnce();
      if (target.features.ttl) {
        expect(pass).toEqual({ mode: 'ttl', altered: retainedTables(target).map((table) => table.name) });
        // Applied once: a restart with the same setting alters nothing.
        expect(await job.runOnce()).toEqual({ mode: 'ttl', altered: [] });
        // TTL acts on merges, after MODIFY TTL is materialized (a mutation): force merges until the old rows are gone.
        await expect
          .poll(
            async () => {
              for (const table of retainedTables(target)) await engine.runner.command(`OPTIMIZE TABLE ${RDB}.${table.name} FINAL`);
              const [row] = await engine.runner.rows<{ n: string }>(`SELECT count() AS n FROM ${RDB}.request_counts WHERE rollout = 'old'`);
              return Number(row?.n);
            },
            { timeout: 20_000, interval: 500 },
          )
          .toBe(0);
      } else {
        expect(pass.mode).toBe('partitions');
        const dropped = pass.mode === 'partitions' ? pass.dropped : [];
        // Day partitions of the metrics, 40 days old; the month of verdicts and events once it ended 30 days ago.
        const monthEnded = !sameMonthAsRecent(nowSeconds - 40 * DAY, nowSeconds - 30 * DAY);
        const expected = ['request_counts', 'latency_buckets', ...(monthEnded ? ['verdicts', 'events'] : [])];
        expect(new Set(dropped.map((part) => part.table))).toEqual(new Set(expected));
        expect(await job.runOnce()).toEqual({ mode: 'partitions', dropped: [] });
      }
      for (const table of retainedTables(target)) {
        const rows = await engine.runner.rows<{ rollout: string; n: string }>(
          table.name === 'events'
            ? `SELECT rollouts[1] AS rollout, count() AS n FROM ${RDB}.events GROUP BY rollout ORDER BY rollout`
            : `SELECT rollout, count() AS n FROM ${RDB}.${table.name} GROUP BY rollout ORDER BY rollout`,
        );
        // A month partition holds the old rows until the whole month is past retention.
        // (A TTL drops a part once all its rows are past retention, so there it is gone already.)
        const keepsOldMonth = !target.features.ttl && table.partition === 'month' && sameMonthAsRecent(nowSeconds - 40 * DAY, nowSeconds - 30 * DAY);
        expect(rows.map((row) => row.rollout), `${engine.label} ${table.name}`).toEqual(keepsOldMonth ? ['old', 'recent'] : ['recent']);
      }
    }
  });
});

describe('a database created on 18.16, later served by a current release', () => {
  it('keeps its String columns, migrates nothing again, takes the TTL and answers the reports', async () => {
    const chdb = engines[1] as Engine;
    const target: SchemaTarget = { database: 'compat_upgraded', features: featuresOf('18.16.1') };
    // Migrations 1 and 2 as 18.16 wrote them, then migration 3 (added columns) on the upgraded server.
    expect(await applyMigrations(chdb.runner, target, logger, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
    const upgraded: SchemaTarget = { ...target, features: chdb.target.features };
    expect(await applyMigrations(chdb.runner, upgraded, logger)).toEqual([3]);
    expect(await applyMigrations(chdb.runner, upgraded, logger)).toEqual([]);
    // A migration whose columns already exist (a crash before it was recorded) adds nothing and does not fail.
    const rerun = { ...(MIGRATIONS[2] as (typeof MIGRATIONS)[number]), version: 99 };
    expect(await applyMigrations(chdb.runner, upgraded, logger, [...MIGRATIONS, rerun])).toEqual([99]);
    const [rollout] = await chdb.runner.rows<{ type: string }>(`SELECT type FROM system.columns WHERE database = 'compat_upgraded' AND table = 'request_counts' AND name = 'rollout'`);
    expect(rollout?.type).toBe('String');
    expect((await new RetentionJob(chdb.runner, upgraded, 30, logger).runOnce()).mode).toBe('ttl');
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const insert of compatInserts('compat_upgraded', nowSeconds)) await chdb.runner.command(insert);
    const rows = await chdb.runner.rows(poolCountsSql('compat_upgraded', rolloutWindow('checkout', nowSeconds - 3600)));
    expect(rows.length).toBe(2);
  });
});

/** Whether two instants fall in one UTC month. */
function sameMonthAsRecent(aSeconds: number, bSeconds: number): boolean {
  return utcText(aSeconds).slice(0, 7) === utcText(bSeconds).slice(0, 7);
}
