import { parseDuration, type AnalysisSpecV1, type SideEvidenceV1, type VerdictOutcome } from '@graylane/contracts';
import { bucketValueUs, quantileFromEntries } from '@graylane/histogram';
import { errorIncreasePValue, exceedancePValue } from './statistics.js';

/** A rollout's `analysis` block with every default filled in. */
export interface GuardrailSettings {
  readonly intervalMs: number;
  readonly minRequests: number;
  readonly maxP99Ratio: number;
  readonly maxErrorRateIncrease: number;
  readonly minP99IncreaseMs: number;
  readonly consecutiveFailures: number;
  readonly significance: number;
  readonly enabled: boolean;
}

/** Defaults for fields a spec leaves out; docs/reports.md lists them for operators. */
export const GUARDRAIL_DEFAULTS: GuardrailSettings = Object.freeze({
  intervalMs: 10_000,
  minRequests: 200,
  maxP99Ratio: 1.5,
  maxErrorRateIncrease: 0.01,
  // 2 ms against 1 ms is a ratio of 2 and no user notices it.
  minP99IncreaseMs: 5,
  consecutiveFailures: 2,
  significance: 0.01,
  enabled: true,
});

/** Fills in the defaults. The spec schema already bounds each field. */
export function settingsOf(analysis: AnalysisSpecV1): GuardrailSettings {
  return Object.freeze({
    intervalMs: analysis.interval === undefined ? GUARDRAIL_DEFAULTS.intervalMs : Math.max(1_000, parseDuration(analysis.interval)),
    minRequests: analysis.minRequests ?? GUARDRAIL_DEFAULTS.minRequests,
    maxP99Ratio: analysis.maxP99Ratio ?? GUARDRAIL_DEFAULTS.maxP99Ratio,
    maxErrorRateIncrease: analysis.maxErrorRateIncrease ?? GUARDRAIL_DEFAULTS.maxErrorRateIncrease,
    minP99IncreaseMs: analysis.minP99IncreaseMs ?? GUARDRAIL_DEFAULTS.minP99IncreaseMs,
    consecutiveFailures: analysis.consecutiveFailures ?? GUARDRAIL_DEFAULTS.consecutiveFailures,
    significance: analysis.significance ?? GUARDRAIL_DEFAULTS.significance,
    enabled: analysis.enabled ?? GUARDRAIL_DEFAULTS.enabled,
  });
}

/** One side's traffic in the window: counts and its summed latency histogram. */
export interface SideStats {
  readonly version: string;
  readonly requests: number;
  readonly errors: number;
  /** `[bucket index, count]` of the side's latency histogram, any order. */
  readonly buckets: ReadonlyArray<readonly [number, number]>;
}

/** The judgement of one window, before it is tied to a rollout, a version and a time. */
export interface Judgement {
  outcome: VerdictOutcome;
  breaches: ('p99-ratio' | 'error-rate')[];
  reason: string;
  p99Ratio: number | null;
  errorRateIncrease: number;
  errorPValue: number;
  stable: SideEvidenceV1;
  canary: SideEvidenceV1;
}

/** The share of requests above a P99, by definition. */
const P99_TAIL = 0.01;

/**
 * Compares canary with stable over one window. Pure: same inputs, same verdict.
 *
 * - Either side below `minRequests` → `inconclusive` (never a pass, never a failure).
 * - P99 breach: canary P99 above stable P99 × `maxP99Ratio` AND above it by more than
 *   `minP99IncreaseMs`, AND significant: the share of canary requests above that threshold must
 *   exceed 1 % by a one-sided binomial test at `significance` — so a handful of slow requests in
 *   a small sample does not move a P99 far enough to count.
 * - Error breach: canary error rate above stable's by more than `maxErrorRateIncrease`, AND a
 *   one-sided two-proportion z-test at `significance` that the increase exceeds that margin.
 */
export function judge(settings: GuardrailSettings, stable: SideStats, canary: SideStats): Judgement {
  const stableEvidence = evidenceOf(stable);
  const canaryEvidence = evidenceOf(canary);
  const stableRate = stableEvidence.errorRate;
  const canaryRate = canaryEvidence.errorRate;
  const errorRateIncrease = canaryRate - stableRate;
  const errorPValue = errorIncreasePValue(stable.errors, stable.requests, canary.errors, canary.requests, settings.maxErrorRateIncrease);
  const p99Ratio = stableEvidence.p99Ms > 0 ? canaryEvidence.p99Ms / stableEvidence.p99Ms : null;
  const base = { p99Ratio, errorRateIncrease, errorPValue, stable: stableEvidence, canary: canaryEvidence };

  const short = [stable, canary].filter((side) => side.requests < settings.minRequests);
  if (short.length > 0) {
    const which = `stable ${stable.requests}, canary ${canary.requests}`;
    return { ...base, outcome: 'inconclusive', breaches: [], reason: `too little traffic: ${which} requests, need ${settings.minRequests} per side` };
  }

  const breaches: Judgement['breaches'] = [];
  const reasons: string[] = [];
  const thresholdMs = Math.max(stableEvidence.p99Ms * settings.maxP99Ratio, stableEvidence.p99Ms + settings.minP99IncreaseMs);
  if (canaryEvidence.p99Ms > thresholdMs) {
    const above = countAboveMs(canary.buckets, thresholdMs);
    const pValue = exceedancePValue(above, canary.requests, P99_TAIL);
    if (pValue < settings.significance) {
      breaches.push('p99-ratio');
      reasons.push(
        `canary p99 ${fmtMs(canaryEvidence.p99Ms)} is ${fmtRatio(p99Ratio)} stable ${fmtMs(stableEvidence.p99Ms)} (max ${settings.maxP99Ratio}x and +${settings.minP99IncreaseMs} ms; ${above}/${canary.requests} above ${fmtMs(thresholdMs)}, p=${pValue.toExponential(1)})`,
      );
    } else {
      reasons.push(`canary p99 ${fmtMs(canaryEvidence.p99Ms)} above ${fmtMs(thresholdMs)} but not significant (p=${pValue.toFixed(3)})`);
    }
  }
  if (errorRateIncrease > settings.maxErrorRateIncrease) {
    if (errorPValue < settings.significance) {
      breaches.push('error-rate');
      reasons.push(
        `canary error rate ${fmtPct(canaryRate)} exceeds stable ${fmtPct(stableRate)} by more than ${fmtPct(settings.maxErrorRateIncrease)} (p=${errorPValue.toExponential(1)})`,
      );
    } else {
      reasons.push(`canary error rate ${fmtPct(canaryRate)} above stable ${fmtPct(stableRate)} but not significant (p=${errorPValue.toFixed(3)})`);
    }
  }
  if (breaches.length > 0) return { ...base, outcome: 'fail', breaches, reason: reasons.join('; ') };
  const summary = `canary p99 ${fmtMs(canaryEvidence.p99Ms)} vs stable ${fmtMs(stableEvidence.p99Ms)}, errors ${fmtPct(canaryRate)} vs ${fmtPct(stableRate)}`;
  return { ...base, outcome: 'pass', breaches, reason: reasons.length > 0 ? `${summary}; ${reasons.join('; ')}` : summary };
}

/**
 * The failure streak after a verdict: a failure extends it, a pass ends it, and an inconclusive
 * window leaves it as it was — too little traffic is no evidence either way.
 */
export function nextStreak(previous: number, outcome: VerdictOutcome): number {
  if (outcome === 'fail') return previous + 1;
  if (outcome === 'pass') return 0;
  return previous;
}

function evidenceOf(side: SideStats): SideEvidenceV1 {
  const p99Us = side.buckets.length === 0 ? 0 : quantileFromEntries(side.buckets, 0.99);
  return {
    version: side.version,
    requests: side.requests,
    errors: side.errors,
    errorRate: side.requests === 0 ? 0 : side.errors / side.requests,
    // Microsecond resolution is all the histogram holds.
    p99Ms: Math.round(p99Us) / 1000,
  };
}

/** Requests whose bucket's representative latency is above `thresholdMs`. */
function countAboveMs(buckets: ReadonlyArray<readonly [number, number]>, thresholdMs: number): number {
  let above = 0;
  for (const [bucket, count] of buckets) if (bucketValueUs(bucket) / 1000 > thresholdMs) above += count;
  return above;
}

function fmtMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

function fmtRatio(ratio: number | null): string {
  return ratio === null ? 'n/a x' : `${ratio.toFixed(2)}x`;
}

function fmtPct(rate: number): string {
  return `${(rate * 100).toFixed(2)} %`;
}
