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

  it('re-stamps a batch from a proxy whose clock is an hour off with the stream time, and says so', () => {
    const storedAtMs = good.windowEndMs + 3_600_000;
    const decoded = decodeMetricBatch(bytes(good), storedAtMs);
    expect(decoded).toMatchObject({
      ok: true,
      batch: { windowStartMs: storedAtMs - 1_000, windowEndMs: storedAtMs, series: good.series },
      correction: { kind: 'clock_skew', reason: expect.stringMatching(/proxy-a clock is -3600 s off/) as unknown },
    });
  });

  it('keeps the proxy window when its clock is within the allowed skew', () => {
    expect(decodeMetricBatch(bytes(good), good.windowEndMs + 60_000)).toEqual({ ok: true, batch: good });
  });
});
