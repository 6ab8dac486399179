import { describe, expect, it } from 'vitest';
import { decodedBatchOf } from '../ingest/decode-batch.js';
import { batch, series } from '../test-support/metric-batches.js';
import type { ClickHouseClient } from './clickhouse.js';
import { MetricsStore } from './metrics-store.js';

/** A client that only records which tables were written, in order; an insert can be made to fail. */
function recordingClient(failOn?: string): { client: ClickHouseClient; tables: string[] } {
  const tables: string[] = [];
  const client = {
    insert: async ({ table }: { table: string }) => {
      tables.push(table);
      if (table === failOn) throw new Error(`insert into ${table} refused`);
    },
  } as unknown as ClickHouseClient;
  return { client, tables };
}

describe('MetricsStore.insertBatches', () => {
  const batches = [batch(1, [series({ latenciesUs: [1_000, 2_000] })])].map(decodedBatchOf);

  it('writes the latency buckets before the request counts, so visible counts always have their latencies', async () => {
    const { client, tables } = recordingClient();
    expect(await new MetricsStore(client, 'db').insertBatches(batches)).toEqual({ seriesRows: 1, bucketRows: 2 });
    expect(tables).toEqual(['db.latency_buckets', 'db.request_counts']);
  });

  it('writes no counts when the buckets were refused', async () => {
    const { client, tables } = recordingClient('db.latency_buckets');
    await expect(new MetricsStore(client, 'db').insertBatches(batches)).rejects.toThrow('insert into db.latency_buckets refused');
    expect(tables).toEqual(['db.latency_buckets']);
  });
});
