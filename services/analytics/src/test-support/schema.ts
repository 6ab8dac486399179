import type { Logger } from '@graylane/runtime';
import { startClickHouse } from '@graylane/testkit';
import { createClickHouse, type ClickHouseClient } from '../store/clickhouse.js';
import { applyMigrations } from '../store/migrations.js';
import type { SchemaTarget } from '../store/schema-target.js';
import { detectServer } from '../store/server-features.js';
import { httpSqlRunner } from '../store/sql-runner.js';

/** The schema of `database` on the server behind `client`, as the analytics service would write it. */
export async function schemaTargetOf(client: ClickHouseClient, database: string): Promise<SchemaTarget> {
  return { database, features: await detectServer(httpSqlRunner(client)) };
}

/** Migrates `database` as the analytics service does at start; returns the versions applied now. */
export async function migrate(client: ClickHouseClient, database: string, logger: Logger): Promise<number[]> {
  return applyMigrations(httpSqlRunner(client), await schemaTargetOf(client, database), logger);
}

/** A ClickHouse server for a test file, with `database` migrated; `stop` closes the client and the server. */
export interface MigratedClickHouse {
  client: ClickHouseClient;
  stop(): Promise<void>;
}

/** Starts ClickHouse (testkit, free port, temp folder), connects and migrates `database`. */
export async function startMigratedClickHouse(database: string, logger: Logger): Promise<MigratedClickHouse> {
  const server = await startClickHouse();
  const client = createClickHouse(server.url, logger);
  await migrate(client, database, logger);
  return {
    client,
    stop: async () => {
      await client.close();
      await server.stop();
    },
  };
}
