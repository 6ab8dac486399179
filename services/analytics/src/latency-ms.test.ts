import { bucketIndexOf, bucketValueUs } from '@graylane/histogram';
import { describe, expect, it } from 'vitest';
import { msOfUs, quantileMs } from './latency-ms.js';

describe('latency in ms', () => {
  it('rounds to the microsecond before converting', () => {
    expect(msOfUs(1_234.5678)).toBe(1.235);
    expect(msOfUs(999.4)).toBe(0.999);
    expect(msOfUs(0)).toBe(0);
  });

  it('takes a quantile of summed buckets in ms, 0 without any', () => {
    const at = (us: number) => bucketIndexOf(us);
    const entries: [number, number][] = [
      [at(1_000), 98],
      [at(50_000), 2],
    ];
    expect(quantileMs(entries, 0.5)).toBe(Math.round(bucketValueUs(at(1_000))) / 1000);
    expect(quantileMs(entries, 0.99)).toBe(Math.round(bucketValueUs(at(50_000))) / 1000);
    expect(quantileMs([], 0.99)).toBe(0);
  });
});
