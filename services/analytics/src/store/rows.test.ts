import { bucketIndexOf, bucketValueUs, HISTOGRAM_LAYOUT } from '@graylane/histogram';
import { describe, expect, it } from 'vitest';
import { batch, series } from '../test-support/metric-batches.js';
import { rowsOfBatches, rowsOfDecodedBatches } from './rows.js';

const WINDOW_MS = Date.UTC(2025, 10, 26, 12, 34, 56, 789);
const TS = Math.floor(WINDOW_MS / 1000);

describe('rowsOfBatches', () => {
  it('writes one count row per series and one bucket row per non-empty bucket', () => {
    const { counts, buckets } = rowsOfBatches([
      batch(7, [series({ latenciesUs: [1_000, 1_000, 250_000] }), series({ pool: 'canary', statusClass: '5xx', latenciesUs: [5_000] })], {
        windowStartMs: WINDOW_MS,
      }),
    ]);
    expect(counts).toEqual([
      {
        ts: TS,
        minute: Date.UTC(2025, 10, 26, 12, 34) / 1000,
        rollout: 'checkout',
        pool: 'stable',
        version: 'v1',
        region: '',
        status_class: '2xx',
        batch_id: 'proxy-a:7',
        proxy_id: 'proxy-a',
        config_version: 3,
        requests: 3,
      },
      expect.objectContaining({ pool: 'canary', version: 'v2', status_class: '5xx', requests: 1 }),
    ]);
    expect(buckets.map((row) => [row.pool, row.bucket, row.count])).toEqual([
      ['stable', bucketIndexOf(1_000), 2],
      ['stable', bucketIndexOf(250_000), 1],
      ['canary', bucketIndexOf(5_000), 1],
    ]);
  });

  it('stores the representative latency of each bucket so SQL needs no histogram code', () => {
    const { buckets } = rowsOfBatches([batch(1, [series({ latenciesUs: [123_456] })], { windowStartMs: WINDOW_MS })]);
    const [row] = buckets;
    expect(row?.value_us).toBe(Math.round(bucketValueUs(bucketIndexOf(123_456))));
    expect(Math.abs((row?.value_us ?? 0) - 123_456) / 123_456).toBeLessThan(1 / 128);
  });

  it('sums series of one batch that share a key, since the table keeps one row per key', () => {
    const { counts, buckets } = rowsOfBatches([
      batch(1, [series({ latenciesUs: [1_000] }), series({ latenciesUs: [1_000, 9_000] })], { windowStartMs: WINDOW_MS }),
    ]);
    expect(counts.map((row) => row.requests)).toEqual([3]);
    expect(buckets.map((row) => [row.bucket, row.count])).toEqual([
      [bucketIndexOf(1_000), 2],
      [bucketIndexOf(9_000), 1],
    ]);
  });

  it('writes a batch id seen twice once', () => {
    const one = batch(1, [series({ latenciesUs: [1_000] })], { windowStartMs: WINDOW_MS });
    expect(rowsOfBatches([one, { ...one }]).counts).toHaveLength(1);
  });

  it('keeps separate rows for the same series in different batches', () => {
    const rows = rowsOfBatches([
      batch(1, [series({ latenciesUs: [1_000] })], { windowStartMs: WINDOW_MS }),
      batch(2, [series({ latenciesUs: [1_000] })], { windowStartMs: WINDOW_MS + 1_000 }),
    ]);
    expect(rows.counts.map((row) => [row.batch_id, row.ts])).toEqual([
      ['proxy-a:1', TS],
      ['proxy-a:2', TS + 1],
    ]);
  });

  it('writes the buckets of the histograms decoded where the batch entered, without decoding the wire form again', () => {
    const one = batch(1, [series({ latenciesUs: [1_000] })], { windowStartMs: WINDOW_MS });
    // The wire form is only read once, by the decoder; here it is garbage and must not matter.
    const wire = { ...one, series: [{ ...one.series[0]!, latency: { layout: 'not-read/v0', buckets: [] } }] };
    const { counts, buckets } = rowsOfDecodedBatches([{ batch: wire, histograms: [[[bucketIndexOf(7_000), 1]]] }]);
    expect(counts.map((row) => row.requests)).toEqual([1]);
    expect(buckets.map((row) => [row.bucket, row.count])).toEqual([[bucketIndexOf(7_000), 1]]);
  });

  it('throws on a corrupt histogram rather than writing wrong buckets', () => {
    const bad = batch(1, [{ ...series({ latenciesUs: [1] }), latency: { layout: HISTOGRAM_LAYOUT, buckets: [[99_999, 1]] } }]);
    expect(() => rowsOfBatches([bad])).toThrow(/buckets\[0\]\[0\]/);
  });
});
