import { HISTOGRAM_LAYOUT } from '@graylane/histogram';
import { describe, expect, it } from 'vitest';
import { batch, series } from '../test-support/metric-batches.js';
import { decodeMetricBatch } from './decode-batch.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const good = batch(1, [series({ latenciesUs: [1_000, 2_000] })]);

describe('decodeMetricBatch', () => {
  it('accepts a valid batch', () => {
    expect(decodeMetricBatch(bytes(good))).toEqual({ ok: true, batch: good });
  });

  it.each([
    ['bad_json', '{"schema": "graylane.metric-batch/v1",', /JSON/],
    ['unknown_schema', { ...good, schema: 'graylane.metric-batch/v9' }, /schema "graylane.metric-batch\/v9", expected/],
    ['unknown_schema', [1, 2], /schema missing/],
    ['invalid_batch', { ...good, seq: 'one' }, /\/seq/],
    ['invalid_batch', { ...good, windowStartMs: -5 }, /\/windowStartMs: out of range/],
    ['corrupt_histogram', { ...good, series: [{ ...good.series[0], latency: { layout: 'other/v1', buckets: [] } }] }, /\/series\/0\/latency: layout/],
    [
      'corrupt_histogram',
      { ...good, series: [{ ...good.series[0], latency: { layout: HISTOGRAM_LAYOUT, buckets: [[5, 1], [3, 1]] } }] },
      /buckets\[1\]\[0\]/,
    ],
  ])('rejects %s (%#)', (kind, payload, reason) => {
    const decoded = decodeMetricBatch(bytes(payload));
    expect(decoded).toMatchObject({ ok: false, kind });
    expect(decoded.ok ? '' : decoded.reason).toMatch(reason);
  });
});
