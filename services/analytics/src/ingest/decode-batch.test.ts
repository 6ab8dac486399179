import { bucketIndexOf, HISTOGRAM_LAYOUT } from '@graylane/histogram';
import { describe, expect, it } from 'vitest';
import { batch, series } from '../test-support/metric-batches.js';
import { decodedBatchOf, decodeMetricBatch } from './decode-batch.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const good = batch(1, [series({ latenciesUs: [1_000, 2_000] })]);
/** `good`'s one histogram, decoded: its non-empty buckets, ascending. */
const goodHistograms = [
  [
    [bucketIndexOf(1_000), 1],
    [bucketIndexOf(2_000), 1],
  ],
];

describe('decodeMetricBatch', () => {
  it('accepts a valid batch and hands on its decoded histograms', () => {
    expect(decodeMetricBatch(bytes(good))).toEqual({ ok: true, batch: good, histograms: goodHistograms });
  });

  it('decodes a batch built in this process the same way, and throws on a corrupt histogram', () => {
    expect(decodedBatchOf(good)).toEqual({ batch: good, histograms: goodHistograms });
    const corrupt = { ...good, series: [{ ...good.series[0]!, latency: { layout: HISTOGRAM_LAYOUT, buckets: [[5, 1], [3, 1]] as [number, number][] } }] };
    expect(() => decodedBatchOf(corrupt)).toThrow(/buckets\[1\]\[0\]/);
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

  describe('a forged or broken batch', () => {
    const one = good.series[0]!;
    const histogramOf = (count: number) => ({ ...one.latency, buckets: [[one.latency.buckets[0]![0], count]] as [number, number][] });
    it.each([
      ['unsafe_number', 'claims 10^16 requests', { ...good, series: [{ ...one, count: 1e16 }] }, /\/series\/0\/count: beyond 2\^53/],
      ['unsafe_number', 'a sequence beyond 2^53', { ...good, seq: 2 ** 53 + 2 }, /\/seq/],
      ['count_mismatch', 'claims more requests than its histogram holds', { ...good, series: [{ ...one, count: 1_000_000 }] }, /count: 1000000, but its histogram holds 2/],
      [
        'implausible_count',
        'claims 10^12 requests in one second, consistently',
        { ...good, series: [{ ...one, count: 1e12, latency: histogramOf(1e12) }] },
        /more than 10000000/,
      ],
      ['out_of_window', 'ends before it starts', { ...good, windowEndMs: good.windowStartMs - 1 }, /lasts -1 ms/],
      ['out_of_window', 'lasts an hour', { ...good, windowEndMs: good.windowStartMs + 3_600_000 }, /lasts 3600000 ms/],
    ])('rejects %s: %s', (kind, _what, payload, reason) => {
      const decoded = decodeMetricBatch(bytes(payload), good.windowEndMs);
      expect(decoded).toMatchObject({ ok: false, kind });
      expect(decoded.ok ? '' : decoded.reason).toMatch(reason);
    });

    it('rejects a window more than 5 minutes after the stream stored it, or older than the stream keeps', () => {
      expect(decodeMetricBatch(bytes(good), good.windowEndMs - 6 * 60_000)).toMatchObject({ ok: false, kind: 'out_of_window' });
      expect(decodeMetricBatch(bytes(good), good.windowEndMs + 25 * 3_600_000)).toMatchObject({ ok: false, kind: 'out_of_window' });
      expect(decodeMetricBatch(bytes({ ...good, windowStartMs: 0, windowEndMs: 1_000 }))).toMatchObject({ ok: false, kind: 'out_of_window' });
    });
  });

  it('re-stamps a batch from a proxy whose clock is an hour off with the stream time, and says so', () => {
    const storedAtMs = good.windowEndMs + 3_600_000;
    const decoded = decodeMetricBatch(bytes(good), storedAtMs);
    expect(decoded).toMatchObject({
      ok: true,
      batch: { windowStartMs: storedAtMs - 1_000, windowEndMs: storedAtMs, series: good.series },
      histograms: goodHistograms,
      correction: { kind: 'clock_skew', reason: expect.stringMatching(/proxy-a clock is -3600 s off/) as unknown },
    });
  });

  it('keeps the proxy window when its clock is within the allowed skew', () => {
    expect(decodeMetricBatch(bytes(good), good.windowEndMs + 60_000)).toEqual({ ok: true, batch: good, histograms: goodHistograms });
  });
});
