import { describe, expect, it } from 'vitest';
import { buildSeries, defaultStepSeconds, slotCount } from './series.js';

describe('buildSeries', () => {
  it('merges the versions of a pool per bucket and leaves buckets without requests empty, not zero', () => {
    const got = buildSeries('web', 30, 10, 1_000, 1_035, new Date(1_035_000), [
      { pool: 'stable', slot: 0, requests: 10, errors: 1 },
      { pool: 'stable', slot: 0, requests: 30, errors: 0 },
      { pool: 'canary', slot: 2, requests: 5, errors: 5 },
      { pool: 'other', slot: 1, requests: 7, errors: 0 },
      { pool: 'stable', slot: 9, requests: 99, errors: 0 },
    ], [
      { pool: 'stable', slot: 0, bucket: 100, count: 40 },
      { pool: 'canary', slot: 2, bucket: 200, count: 5 },
    ]);
    expect(got.times).toEqual([1_000, 1_010, 1_020, 1_030]);
    expect(got.pools.map((p) => p.pool)).toEqual(['stable', 'canary']);
    const [stable, canary] = got.pools;
    expect(stable?.requests).toEqual([40, 0, 0, 0]);
    expect(stable?.rps).toEqual([4, 0, 0, 0]);
    expect(stable?.errorRate).toEqual([0.025, null, null, null]);
    expect(stable?.p99Ms[1]).toBeNull();
    expect(stable?.p99Ms[0]).toBeGreaterThan(0);
    expect(canary?.errorRate).toEqual([null, null, 1, null]);
  });

  it('picks about 60 buckets by default and counts the bucket of "now"', () => {
    expect(defaultStepSeconds(900)).toBe(15);
    expect(defaultStepSeconds(30)).toBe(1);
    expect(slotCount(1_000, 1_900, 15)).toBe(61);
    expect(slotCount(1_000, 1_914, 15)).toBe(61);
  });
});
