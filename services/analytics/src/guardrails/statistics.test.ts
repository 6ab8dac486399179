import { describe, expect, it } from 'vitest';
import { addWindowEvidence, hypergeometricUpperTail, logChoose, logGamma, mixtureEValue, noEvidence, RISK_RATIOS } from './statistics.js';

/** P(X = x) for X hypergeometric by direct products, for small arguments only. */
function choose(n: number, k: number): number {
  let value = 1;
  for (let i = 1; i <= k; i += 1) value = (value * (n - k + i)) / i;
  return value;
}

describe('logGamma and logChoose', () => {
  it('match factorials and binomial coefficients', () => {
    let factorial = 1;
    for (let n = 1; n <= 20; n += 1) {
      factorial *= n;
      expect(logGamma(n + 1)).toBeCloseTo(Math.log(factorial), 9);
    }
    expect(Math.exp(logChoose(20, 5))).toBeCloseTo(15504, 6);
    expect(logChoose(1e6, 3)).toBeCloseTo(Math.log(choose(1e6, 3)), 6);
  });
});

describe('hypergeometricUpperTail', () => {
  it('equals the exact sum, above and below the mean', () => {
    for (const [n, c, k] of [
      [20, 10, 5],
      [200, 20, 30],
      [57, 3, 9],
    ] as const) {
      for (let x = 0; x <= Math.min(c, k); x += 1) {
        let exact = 0;
        for (let i = x; i <= Math.min(c, k); i += 1) exact += (choose(c, i) * choose(n - c, k - i)) / choose(n, k);
        expect(hypergeometricUpperTail({ pooled: n, canary: c, marked: k, canaryMarked: x })).toBeCloseTo(exact, 10);
      }
    }
    // Fisher's exact test: all 5 marked among the 10 canary requests of 20.
    expect(hypergeometricUpperTail({ pooled: 20, canary: 10, marked: 5, canaryMarked: 5 })).toBeCloseTo(252 / 15504, 12);
  });

  it('is 1 for no evidence and 0 beyond the possible', () => {
    expect(hypergeometricUpperTail({ pooled: 100, canary: 10, marked: 0, canaryMarked: 0 })).toBe(1);
    expect(hypergeometricUpperTail({ pooled: 100, canary: 10, marked: 5, canaryMarked: 6 })).toBe(0);
  });

  it('stays exact at large counts (a 2 000 req/s window)', () => {
    const p = hypergeometricUpperTail({ pooled: 20_000, canary: 2_000, marked: 10_000, canaryMarked: 1_000 });
    expect(p).toBeGreaterThan(0.45);
    expect(p).toBeLessThan(0.55);
    expect(hypergeometricUpperTail({ pooled: 20_000, canary: 2_000, marked: 10_000, canaryMarked: 1_300 })).toBeLessThan(1e-30);
  });
});

describe('window evidence', () => {
  it('has expectation at most 1 when canary is no worse: exact enumeration of the hypergeometric', () => {
    for (const [n, c, k] of [
      [20, 10, 5],
      [200, 20, 100],
      [300, 3, 150],
      [1000, 500, 10],
    ] as const) {
      let expectation = 0;
      for (let x = Math.max(0, k - (n - c)); x <= Math.min(c, k); x += 1) {
        const sums = noEvidence();
        addWindowEvidence(sums, { pooled: n, canary: c, marked: k, canaryMarked: x });
        expectation += ((choose(c, x) * choose(n - c, k - x)) / choose(n, k)) * mixtureEValue(sums);
      }
      expect(expectation).toBeLessThanOrEqual(1 + 1e-9);
      // Conservative where K is a large share of N (the median test): power lost, never validity.
      expect(expectation).toBeGreaterThan(0);
    }
  });

  it('grows over windows where canary holds more than its share, and mixes the grid with equal weights', () => {
    const sums = noEvidence();
    expect(mixtureEValue(sums)).toBeCloseTo(1, 12);
    for (let w = 0; w < 6; w += 1) addWindowEvidence(sums, { pooled: 5000, canary: 500, marked: 10, canaryMarked: 6 });
    expect(mixtureEValue(sums)).toBeGreaterThan(1e6);
    const average = [...sums].reduce((total, value) => total + Math.exp(value), 0) / RISK_RATIOS.length;
    expect(mixtureEValue(sums) / average).toBeCloseTo(1, 9);
  });
});
