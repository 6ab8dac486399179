import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_COUNT,
  bucketIndexOf,
  bucketValueUs,
  HISTOGRAM_LAYOUT,
  MAX_RELATIVE_ERROR,
  MAX_VALUE_US,
  MIN_VALUE_US,
} from './index.js';

/** The layout as the README states it, written independently of the bit trick in layout.ts. */
function lowerBoundUs(index: number): number {
  return 2 ** Math.floor(index / 64) * (1 + (index % 64) / 64);
}

/** The largest double below a positive x. */
function nextDown(x: number): number {
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0]! -= 1n;
  return new Float64Array(bits.buffer)[0]!;
}

function relativeError(valueUs: number): number {
  return Math.abs(bucketValueUs(bucketIndexOf(valueUs)) - valueUs) / valueUs;
}

describe('layout', () => {
  it('is the published loglin-us-1pct/v1 layout', () => {
    // Stored indexes mean these buckets; changing any of this needs a new layout name.
    expect(HISTOGRAM_LAYOUT).toBe('loglin-us-1pct/v1');
    expect(MIN_VALUE_US).toBe(1);
    expect(MAX_VALUE_US).toBe(60_000_000);
    expect(BUCKET_COUNT).toBe(1651);
    expect(BUCKET_COUNT).toBeLessThanOrEqual(65_536); // ClickHouse UInt16
    expect(bucketIndexOf(1)).toBe(0);
    expect(bucketIndexOf(1000)).toBe(637);
    expect(bucketIndexOf(MAX_VALUE_US)).toBe(1650);
    expect(MAX_RELATIVE_ERROR).toBeLessThanOrEqual(0.01);
  });

  it('puts every bucket edge in its bucket and keeps the error bound at both ends', () => {
    const failures: string[] = [];
    for (let index = 0; index < BUCKET_COUNT; index += 1) {
      const lo = lowerBoundUs(index);
      const top = index === BUCKET_COUNT - 1 ? MAX_VALUE_US : nextDown(lowerBoundUs(index + 1));
      if (bucketIndexOf(lo) !== index) failures.push(`bucketIndexOf(${lo}) = ${bucketIndexOf(lo)}, want ${index}`);
      if (bucketIndexOf(top) !== index) failures.push(`bucketIndexOf(${top}) = ${bucketIndexOf(top)}, want ${index}`);
      if (index > 0 && bucketIndexOf(nextDown(lo)) !== index - 1) {
        failures.push(`bucketIndexOf(${nextDown(lo)}) = ${bucketIndexOf(nextDown(lo))}, want ${index - 1}`);
      }
      for (const value of [lo, (lo + top) / 2, top]) {
        if (relativeError(value) > MAX_RELATIVE_ERROR) failures.push(`error at ${value}: ${relativeError(value)}`);
      }
      const rep = bucketValueUs(index);
      if (!(rep >= lo && rep <= top)) failures.push(`representative ${rep} outside [${lo}, ${top}]`);
    }
    expect(failures).toEqual([]);
  });

  it('keeps the error bound for any value in range', () => {
    fc.assert(
      fc.property(fc.double({ min: MIN_VALUE_US, max: MAX_VALUE_US, noNaN: true }), (value) => {
        expect(relativeError(value)).toBeLessThanOrEqual(MAX_RELATIVE_ERROR);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: MIN_VALUE_US, max: MAX_VALUE_US }), (value) => {
        expect(relativeError(value)).toBeLessThanOrEqual(MAX_RELATIVE_ERROR);
      }),
      { numRuns: 20_000 },
    );
  });

  it('never maps a larger value to a smaller bucket', () => {
    const finite = fc.double({ min: -1e12, max: 1e12, noNaN: true });
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(bucketIndexOf(low)).toBeLessThanOrEqual(bucketIndexOf(high));
      }),
      { numRuns: 20_000 },
    );
  });

  it('clamps values outside the range', () => {
    expect(bucketIndexOf(0.5)).toBe(0);
    expect(bucketIndexOf(0)).toBe(0);
    expect(bucketIndexOf(-0)).toBe(0);
    expect(bucketIndexOf(-250)).toBe(0);
    expect(bucketIndexOf(Number.NaN)).toBe(0);
    expect(bucketIndexOf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(bucketIndexOf(Number.POSITIVE_INFINITY)).toBe(0);
    expect(bucketIndexOf(MAX_VALUE_US + 1)).toBe(BUCKET_COUNT - 1);
    expect(bucketIndexOf(1e15)).toBe(BUCKET_COUNT - 1);
  });

  it.each([-1, BUCKET_COUNT, 1.5, Number.NaN])('bucketValueUs rejects index %s', (index) => {
    expect(() => bucketValueUs(index)).toThrow(RangeError);
    expect(() => bucketValueUs(index)).toThrow(`got ${index}`);
  });
});
