import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketIndexOf, bucketValueUs, HistogramDecodeError, LatencyHistogram, quantileFromEntries } from './index.js';

const anyValue = fc.oneof(fc.double({ min: 1, max: 60_000_000, noNaN: true }), fc.double());

/** What analytics gets back from `SELECT bucket, sum(count) … GROUP BY bucket`: summed, unordered rows. */
function summedRows(histograms: readonly LatencyHistogram[]): Array<[number, number]> {
  const sums = new Map<number, number>();
  for (const histogram of histograms) {
    for (const [index, count] of histogram.encode().buckets) sums.set(index, (sums.get(index) ?? 0) + count);
  }
  // Largest count first: a GROUP BY without ORDER BY promises no order.
  return [...sums].sort((a, b) => b[1] - a[1] || b[0] - a[0]);
}

describe('quantileFromEntries', () => {
  it('on buckets summed across histograms equals quantileUs of the merged histogram', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(anyValue), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (groups, permille) => {
          const histograms = groups.map((values) => {
            const histogram = new LatencyHistogram();
            for (const value of values) histogram.record(value);
            return histogram;
          });
          const merged = new LatencyHistogram();
          for (const histogram of histograms) merged.merge(histogram);
          const q = permille / 1000;
          expect(quantileFromEntries(summedRows(histograms), q)).toBe(merged.quantileUs(q));
        },
      ),
    );
  });

  it('uses the same rank rule as quantileUs', () => {
    const rows: Array<[number, number]> = Array.from({ length: 100 }, (_, i) => [bucketIndexOf(i + 1), 1]);
    expect(quantileFromEntries(rows, 0)).toBe(bucketValueUs(bucketIndexOf(1)));
    expect(quantileFromEntries(rows, 0.07)).toBe(bucketValueUs(bucketIndexOf(7)));
    expect(quantileFromEntries(rows, 1)).toBe(bucketValueUs(bucketIndexOf(100)));
  });

  it('is 0 when there is nothing to rank', () => {
    expect(quantileFromEntries([], 0.5)).toBe(0);
    expect(quantileFromEntries([[12, 0]], 0.5)).toBe(0);
  });

  it('rejects entries that do not belong to the layout', () => {
    expect(() => quantileFromEntries([[1651, 1]], 0.5)).toThrow(HistogramDecodeError);
    expect(() => quantileFromEntries([[3, 1], [4, -1]], 0.5)).toThrow('entries[1][1]: expected a count');
    expect(() => quantileFromEntries([[3, 1]], 1.5)).toThrow(RangeError);
  });
});
