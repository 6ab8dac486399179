import { GraylaneError } from '@graylane/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_COUNT,
  bucketIndexOf,
  bucketValueUs,
  HISTOGRAM_LAYOUT,
  HistogramDecodeError,
  LatencyHistogram,
  MAX_RELATIVE_ERROR,
  MAX_VALUE_US,
  MIN_VALUE_US,
} from './index.js';

const inRange = fc.double({ min: MIN_VALUE_US, max: MAX_VALUE_US, noNaN: true });
/** Any double at all, so that clamped values (NaN, ±Infinity, negative, huge) take part too. */
const anyValue = fc.oneof(inRange, fc.double());

function histogramOf(values: readonly number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const value of values) histogram.record(value);
  return histogram;
}

function exactQuantile(sorted: readonly number[], permille: number): number {
  // Integer arithmetic, so the expected rank carries none of the rounding of q = permille / 1000.
  const rank = Math.max(1, Math.ceil((permille * sorted.length) / 1000));
  return sorted[rank - 1]!;
}

describe('LatencyHistogram', () => {
  it('starts empty', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.isEmpty()).toBe(true);
    expect(histogram.count).toBe(0);
    expect(histogram.quantileUs(0.99)).toBe(0);
    expect(histogram.entries()).toEqual([]);
    expect(histogram.encode()).toEqual({ layout: HISTOGRAM_LAYOUT, buckets: [] });
  });

  it('counts values per bucket, by ascending index', () => {
    const histogram = histogramOf([1000, 5, 1000, 1001, -3, Number.NaN, 9e9]);
    expect(histogram.count).toBe(7);
    expect(histogram.isEmpty()).toBe(false);
    expect(histogram.entries()).toEqual([
      [0, 2],
      [bucketIndexOf(5), 1],
      [bucketIndexOf(1000), 3],
      [BUCKET_COUNT - 1, 1],
    ]);
  });

  it('recordMany is record repeated', () => {
    fc.assert(
      fc.property(anyValue, fc.integer({ min: 0, max: 50 }), (value, times) => {
        const many = new LatencyHistogram();
        many.recordMany(value, times);
        expect(many.entries()).toEqual(histogramOf(Array<number>(times).fill(value)).entries());
        expect(many.count).toBe(times);
      }),
    );
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('recordMany rejects times = %s', (times) => {
    const histogram = new LatencyHistogram();
    expect(() => histogram.recordMany(10, times)).toThrow(RangeError);
    expect(histogram.isEmpty()).toBe(true);
  });

  it('merging equals recording the concatenation', () => {
    fc.assert(
      fc.property(fc.array(anyValue), fc.array(anyValue), (left, right) => {
        const merged = histogramOf(left);
        const other = histogramOf(right);
        merged.merge(other);
        const concatenated = histogramOf([...left, ...right]);
        expect(merged.entries()).toEqual(concatenated.entries());
        expect(merged.count).toBe(concatenated.count);
        expect(other.entries()).toEqual(histogramOf(right).entries());
      }),
    );
  });

  it('forgets everything on reset', () => {
    const histogram = histogramOf([3, 4, 5e6]);
    histogram.reset();
    expect(histogram.isEmpty()).toBe(true);
    expect(histogram.entries()).toEqual([]);
    histogram.record(7);
    expect(histogram.entries()).toEqual([[bucketIndexOf(7), 1]]);
  });

  describe('quantileUs', () => {
    it('is within the error bound of the exact quantile of the sorted values', () => {
      fc.assert(
        fc.property(fc.array(inRange, { minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 1000 }), (values, permille) => {
          const exact = exactQuantile([...values].sort((a, b) => a - b), permille);
          const estimate = histogramOf(values).quantileUs(permille / 1000);
          expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(MAX_RELATIVE_ERROR);
        }),
        { numRuns: 2_000 },
      );
    });

    it('takes the rank the caller meant when q·count rounds up past an integer', () => {
      // 0.07 * 100 is 7.000000000000001 in binary floating point; rank 7 is meant, not 8.
      const histogram = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(histogram.quantileUs(0.07)).toBe(bucketValueUs(bucketIndexOf(7)));
      expect(histogram.quantileUs(0.5)).toBe(bucketValueUs(bucketIndexOf(50)));
      expect(histogram.quantileUs(0.99)).toBe(bucketValueUs(bucketIndexOf(99)));
    });

    it('gives the smallest value for q = 0 and the largest for q = 1', () => {
      const histogram = histogramOf([40, 2_000, 30_000_000]);
      expect(histogram.quantileUs(0)).toBe(bucketValueUs(bucketIndexOf(40)));
      expect(histogram.quantileUs(1)).toBe(bucketValueUs(bucketIndexOf(30_000_000)));
    });

    it.each([-0.1, 1.01, 99, Number.NaN])('rejects q = %s', (q) => {
      expect(() => histogramOf([1]).quantileUs(q)).toThrow(RangeError);
    });
  });

  describe('encode and decode', () => {
    it('round-trip through JSON', () => {
      fc.assert(
        fc.property(fc.array(anyValue), (values) => {
          const original = histogramOf(values);
          const encoded = original.encode();
          expect(encoded.layout).toBe(HISTOGRAM_LAYOUT);
          const decoded = LatencyHistogram.decode(JSON.parse(JSON.stringify(encoded)));
          expect(decoded.entries()).toEqual(original.entries());
          expect(decoded.count).toBe(original.count);
        }),
      );
    });

    const corrupt: Array<[string, unknown, string]> = [
      ['null', null, 'histogram: expected an object'],
      ['an array', [], 'histogram: expected an object'],
      ['a string', 'loglin-us-1pct/v1', 'histogram: expected an object'],
      ['an unknown layout', { layout: 'hdr-2digits/v1', buckets: [] }, 'layout: expected "loglin-us-1pct/v1", got "hdr-2digits/v1"'],
      ['no layout', { buckets: [] }, 'layout: expected "loglin-us-1pct/v1", got undefined'],
      ['buckets that are not an array', { layout: HISTOGRAM_LAYOUT, buckets: { 3: 1 } }, 'buckets: expected an array'],
      ['no buckets', { layout: HISTOGRAM_LAYOUT }, 'buckets: expected an array'],
      ['a pair that is not an array', { layout: HISTOGRAM_LAYOUT, buckets: [[1, 1], 5] }, 'buckets[1]: expected an [index, count] pair, got 5'],
      ['a pair of one', { layout: HISTOGRAM_LAYOUT, buckets: [[1]] }, 'buckets[0]: expected an [index, count] pair'],
      ['a triple', { layout: HISTOGRAM_LAYOUT, buckets: [[1, 2, 3]] }, 'buckets[0]: expected an [index, count] pair'],
      ['a negative index', { layout: HISTOGRAM_LAYOUT, buckets: [[-1, 1]] }, 'buckets[0][0]: expected a bucket index, an integer 0-1650, got -1'],
      ['a fractional index', { layout: HISTOGRAM_LAYOUT, buckets: [[2.5, 1]] }, 'buckets[0][0]: expected a bucket index, an integer 0-1650, got 2.5'],
      ['an index past the layout', { layout: HISTOGRAM_LAYOUT, buckets: [[1651, 1]] }, 'buckets[0][0]: expected a bucket index, an integer 0-1650, got 1651'],
      ['an index as a string', { layout: HISTOGRAM_LAYOUT, buckets: [['3', 1]] }, 'buckets[0][0]: expected a bucket index, an integer 0-1650, got "3"'],
      ['a count of 0', { layout: HISTOGRAM_LAYOUT, buckets: [[3, 0]] }, 'buckets[0][1]: expected a count, an integer >= 1, got 0'],
      ['a negative count', { layout: HISTOGRAM_LAYOUT, buckets: [[3, -2]] }, 'buckets[0][1]: expected a count, an integer >= 1, got -2'],
      ['a fractional count', { layout: HISTOGRAM_LAYOUT, buckets: [[3, 1.5]] }, 'buckets[0][1]: expected a count, an integer >= 1, got 1.5'],
      ['a count as a string', { layout: HISTOGRAM_LAYOUT, buckets: [[3, '7']] }, 'buckets[0][1]: expected a count, an integer >= 1, got "7"'],
      ['a duplicate index', { layout: HISTOGRAM_LAYOUT, buckets: [[3, 1], [3, 1]] }, 'buckets[1][0]: expected an index above the previous one (3), got 3'],
      ['unsorted indexes', { layout: HISTOGRAM_LAYOUT, buckets: [[4, 1], [3, 1]] }, 'buckets[1][0]: expected an index above the previous one (4), got 3'],
    ];

    it.each(corrupt)('decode rejects %s, naming what is wrong', (_name, encoded, message) => {
      try {
        LatencyHistogram.decode(encoded);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(HistogramDecodeError);
        expect(error).toBeInstanceOf(GraylaneError);
        const decodeError = error as HistogramDecodeError;
        expect(decodeError.message).toContain(message);
        expect(decodeError.code).toBe('GRAYLANE_VALIDATION');
        expect(decodeError.retryable).toBe(false);
        expect(decodeError.field).toBe(message.split(':')[0]);
      }
    });
  });

  describe('fromEntries', () => {
    it('accepts any order, adds up repeated indexes and skips zero counts', () => {
      const histogram = LatencyHistogram.fromEntries([
        [900, 2],
        [4, 1],
        [900, 3],
        [17, 0],
      ]);
      expect(histogram.entries()).toEqual([
        [4, 1],
        [900, 5],
      ]);
      expect(histogram.count).toBe(6);
    });

    it('equals the decoded histogram for encoded buckets', () => {
      fc.assert(
        fc.property(fc.array(anyValue), (values) => {
          const original = histogramOf(values);
          expect(LatencyHistogram.fromEntries(original.encode().buckets).entries()).toEqual(original.entries());
        }),
      );
    });

    it.each<[string, [number, number], string]>([
      ['an index past the layout', [BUCKET_COUNT, 1], 'entries[0][0]'],
      ['a negative count', [3, -1], 'entries[0][1]'],
      ['a fractional count', [3, 0.5], 'entries[0][1]'],
    ])('rejects %s', (_name, entry, field) => {
      expect(() => LatencyHistogram.fromEntries([entry])).toThrow(HistogramDecodeError);
      expect(() => LatencyHistogram.fromEntries([entry])).toThrow(`${field}: expected`);
    });
  });
});
