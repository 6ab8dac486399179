import fc from 'fast-check';
import { GraylaneError } from '@graylane/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, inCanary, weightToBasisPoints } from './buckets.js';
import { thrown } from './test-support.js';

const WEIGHTS = [0.01, 1, 10, 33.33, 50];

/** How many of `n` keys fall in each bucket. */
function histogram(n: number, key: (i: number) => string, salt: string): Uint32Array {
  const counts = new Uint32Array(BUCKETS);
  for (let i = 0; i < n; i++) counts[bucketOf(salt, key(i))]! += 1;
  return counts;
}

/** splitmix32: a seeded generator, so a failure names keys that can be reproduced. */
function random32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function expectBinomial(observed: number, n: number, p: number, sigmas: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `observed ${observed} of ${n}, expected ${n * p} ± ${sigmas}·${sd.toFixed(1)}`).toBeLessThanOrEqual(sigmas * sd);
}

describe('bucketOf', () => {
  it('is deterministic and in [0, 10000)', () => {
    // Moved from index.test.ts: 10 000 buckets is what makes a weight exact to 0.01 %.
    expect(BUCKETS).toBe(10_000);
    fc.assert(
      fc.property(fc.string(), fc.string({ unit: 'binary' }), (salt, key) => {
        const bucket = bucketOf(salt, key);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKETS).toBe(true);
        expect(bucketOf(salt, key)).toBe(bucket);
      }),
    );
  });

  it('depends on the salt', () => {
    const moved = Array.from({ length: 1000 }, (_, i) => String(i)).filter((key) => bucketOf('a', key) !== bucketOf('b', key));
    expect(moved.length).toBeGreaterThan(990);
  });

  const n = 1_000_000;
  const randomKey = (() => {
    const next = random32(20250101);
    return () => next().toString(16).padStart(8, '0') + next().toString(16).padStart(8, '0');
  })();
  describe.each([
    ['sequential', (i: number) => String(i + 1)],
    ['random', () => randomKey()],
  ])('over 1 000 000 %s keys', (_kind, key) => {
    let counts: Uint32Array = new Uint32Array(0);
    beforeAll(() => {
      counts = histogram(n, key, 'checkout');
    });

    it.each(WEIGHTS)('puts %s %% on canary within 4 binomial standard deviations', (weight) => {
      const points = weightToBasisPoints(weight);
      let canary = 0;
      for (let bucket = 0; bucket < points; bucket++) canary += counts[bucket]!;
      expectBinomial(canary, n, points / BUCKETS, 4);
    });

    it('fills the 10 000 buckets evenly (chi-square within 5 standard deviations)', () => {
      const expected = n / BUCKETS;
      let chiSquare = 0;
      for (const observed of counts) chiSquare += (observed - expected) ** 2 / expected;
      const freedom = BUCKETS - 1;
      expect(chiSquare).toBeLessThan(freedom + 5 * Math.sqrt(2 * freedom));
    });
  });

  it.each([
    ['checkout', 'search'],
    ['checkout', 'checkout2'],
    ['a', 'b'],
  ])('splits independently for salts %s and %s: the 50 %% canary sets overlap ~25 %%', (first, second) => {
    const keys = 200_000;
    let both = 0;
    for (let i = 0; i < keys; i++) {
      const key = `user-${i}`;
      if (inCanary(bucketOf(first, key), 5000) && inCanary(bucketOf(second, key), 5000)) both++;
    }
    expectBinomial(both, keys, 0.25, 4);
  });

  it('splits independently for any two different salts', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string({ minLength: 1, maxLength: 16 }), fc.string({ minLength: 1, maxLength: 16 })).filter(([a, b]) => a !== b),
        ([first, second]) => {
          const keys = 20_000;
          let both = 0;
          for (let i = 0; i < keys; i++) {
            if (bucketOf(first, String(i)) < 5000 && bucketOf(second, String(i)) < 5000) both++;
          }
          expectBinomial(both, keys, 0.25, 5);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('weightToBasisPoints', () => {
  it.each([
    [0, 0],
    [0.01, 1],
    [0.07, 7],
    [1, 100],
    [10, 1000],
    [33.33, 3333],
    [57.99, 5799],
    [100, 10_000],
  ])('%s %% is %s basis points', (percent, points) => {
    expect(weightToBasisPoints(percent)).toBe(points);
  });

  it('accepts every two-decimal weight', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (points) => {
        expect(weightToBasisPoints(Number((points / 100).toFixed(2)))).toBe(points);
      }),
    );
  });

  it.each([12.345, 0.001, 33.333, NaN, -1, -0.01, 100.01, Infinity])('rejects %s naming the value', (percent) => {
    const error = thrown(() => weightToBasisPoints(percent));
    expect(error).toBeInstanceOf(GraylaneError);
    expect((error as GraylaneError).code).toBe('GRAYLANE_VALIDATION');
    expect((error as GraylaneError).message).toContain(String(percent));
  });
});

describe('inCanary', () => {
  it('only adds users as the weight rises', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.integer({ min: 0, max: BUCKETS }),
        fc.integer({ min: 0, max: BUCKETS }),
        (key, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const bucket = bucketOf('ramp', key);
          if (inCanary(bucket, low)) expect(inCanary(bucket, high)).toBe(true);
        },
      ),
    );
  });

  it('puts nobody on canary at 0 and everybody at 100 %', () => {
    expect(inCanary(0, 0)).toBe(false);
    expect(inCanary(BUCKETS - 1, BUCKETS)).toBe(true);
  });
});
