// Exact conditional tests and their sequential (e-value) form. Every guardrail test here is the
// same question asked of different "marked" requests (errors, or requests above a latency
// threshold chosen from both sides pooled): of the K marked requests among N pooled ones, n of
// which went to canary, how many were canary's? If canary is no worse than stable, the labels are
// exchangeable given the pooled data, so that count is hypergeometric, exactly, at any sample
// size. Nothing here resamples: the guardrail runs every few seconds per rollout.

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error < 1e-13 for the integers used here). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] ?? 0;
  for (let i = 1; i < LANCZOS.length; i += 1) sum += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln C(n, k). */
export function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** The counts one conditional test looks at. */
export interface MarkedCounts {
  /** Requests of both sides together. */
  readonly pooled: number;
  /** Of those, canary's. */
  readonly canary: number;
  /** Requests marked (errors, or above the threshold), both sides together. */
  readonly marked: number;
  /** Of the marked, canary's. */
  readonly canaryMarked: number;
}

/**
 * One-sided exact p-value P(X ≥ canaryMarked) for X hypergeometric: the chance that canary holds
 * this many of the marked requests or more if it were no worse than stable. Summed in log space
 * from the observed count outwards until the terms no longer matter, so its cost follows the
 * spread of X, not the sample size.
 */
export function hypergeometricUpperTail(counts: MarkedCounts): number {
  const { pooled: n, canary: c, marked: k, canaryMarked: x } = counts;
  const lo = Math.max(0, k - (n - c));
  const hi = Math.min(k, c);
  if (x <= lo) return 1;
  if (x > hi) return 0;
  const logTotal = logChoose(n, k);
  const logTerm = (i: number): number => logChoose(c, i) + logChoose(n - c, k - i) - logTotal;
  const mean = (k * c) / n;
  if (x > mean) return Math.min(1, sumTerms(logTerm, x, hi, 1));
  // Below the mean the upper tail is near 1: sum the (small) lower tail instead.
  return Math.max(0, 1 - sumTerms(logTerm, x - 1, lo, -1));
}

/** Sums exp(logTerm(i)) from `from` towards `to`; stops once terms fall below 1e-16 of the sum. */
function sumTerms(logTerm: (i: number) => number, from: number, to: number, step: 1 | -1): number {
  let sum = 0;
  for (let i = from; step > 0 ? i <= to : i >= to; i += step) {
    const term = Math.exp(logTerm(i));
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

/**
 * Risk ratios the sequential test mixes over, with equal weight: "a canary request is θ times as
 * likely as a stable one to be marked". The grid spans what the guardrail must catch, from a body
 * 1.3× slower (θ ≈ 1.4 at the median, where θ cannot pass 2) to an error rate twenty times
 * stable's; one fixed alternative would be slow for effects far from it, the mixture pays
 * ln(10) ≈ 2.3 nats against the best grid point.
 */
export const RISK_RATIOS: readonly number[] = Object.freeze([1.25, 1.5, 1.75, 2, 3, 5, 8, 13, 21, 34]);

/**
 * ln of one window's likelihood ratio for each risk ratio in {@link RISK_RATIOS}, added into
 * `logProducts` (one running sum per risk ratio). The likelihood is the binomial one, with canary's
 * share of the marked requests π₀ = canary/pooled under "no worse" and θπ₀/(θπ₀ + 1 − π₀) under
 * risk ratio θ. The count is really hypergeometric; the ratio is convex in the count and the
 * hypergeometric is below the binomial in convex order (Hoeffding 1963), so each window's ratio
 * still has expectation ≤ 1 when canary is no worse, and so does their running product.
 */
export function addWindowEvidence(logProducts: Float64Array, counts: MarkedCounts): void {
  const { pooled, canary, marked, canaryMarked } = counts;
  if (marked === 0 || canary === 0 || canary === pooled) return;
  const share = canary / pooled;
  for (let i = 0; i < RISK_RATIOS.length; i += 1) {
    const theta = RISK_RATIOS[i] ?? 1;
    const alt = (theta * share) / (theta * share + 1 - share);
    logProducts[i] = (logProducts[i] ?? 0) + canaryMarked * Math.log(alt / share) + (marked - canaryMarked) * Math.log((1 - alt) / (1 - share));
  }
}

/** Fresh running sums for {@link addWindowEvidence}: e-value 1, no evidence. */
export function noEvidence(): Float64Array {
  return new Float64Array(RISK_RATIOS.length);
}

/**
 * The mixture e-value: the equal-weight average of the running likelihood-ratio products. When
 * canary is no worse, the chance it *ever* reaches 1/α, over any number of windows, is at most α
 * (Ville's inequality); that is what lets the guardrail look after every window.
 */
export function mixtureEValue(logProducts: Float64Array): number {
  let max = -Infinity;
  for (const value of logProducts) max = Math.max(max, value);
  let sum = 0;
  for (const value of logProducts) sum += Math.exp(value - max);
  // Capped at the largest double: JSON has no Infinity, and beyond 1e308 nothing changes.
  return Math.min(Number.MAX_VALUE, Math.exp(max + Math.log(sum / logProducts.length)));
}
