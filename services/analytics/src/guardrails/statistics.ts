// Small, closed-form tests: the guardrail runs every few seconds per rollout, so nothing here
// resamples. Both are one-sided because only a canary that is *worse* matters.

/** Standard normal upper tail P(Z > z), Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7). */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return 1;
  if (z < 0) return 1 - normalUpperTail(-z);
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 0.5 * poly * Math.exp(-x * x);
}

/**
 * One-sided two-proportion z-test that the canary's error rate exceeds stable's by more than
 * `margin`: the p-value of a difference this large if the true increase were exactly `margin`
 * (unpooled standard error, as the two rates differ under that hypothesis). Testing against the
 * allowed increase rather than against zero is what keeps a small sample with a few errors from
 * counting as proof. 1 when either side has no requests.
 */
export function errorIncreasePValue(
  stableErrors: number,
  stableRequests: number,
  canaryErrors: number,
  canaryRequests: number,
  margin: number,
): number {
  if (stableRequests === 0 || canaryRequests === 0) return 1;
  const stableRate = stableErrors / stableRequests;
  const canaryRate = canaryErrors / canaryRequests;
  const excess = canaryRate - stableRate - margin;
  const se = Math.sqrt((stableRate * (1 - stableRate)) / stableRequests + (canaryRate * (1 - canaryRate)) / canaryRequests);
  if (se === 0) return excess > 0 ? 0 : 1;
  return normalUpperTail(excess / se);
}

/**
 * One-sided binomial (normal approximation) p-value that more than a share `expected` of `n`
 * requests lie above a threshold, given `above` of them did. Used for the P99 guardrail: if the
 * canary were no slower than stable, at most 1 % of its requests would exceed stable's P99 times
 * the allowed ratio, so a significant excess over 1 % is evidence the canary's P99 is beyond it.
 */
export function exceedancePValue(above: number, n: number, expected: number): number {
  if (n === 0) return 1;
  const se = Math.sqrt((expected * (1 - expected)) / n);
  // Continuity correction: `above` is a count, and small samples are where noise fools us.
  const z = ((above - 0.5) / n - expected) / se;
  return normalUpperTail(z);
}
