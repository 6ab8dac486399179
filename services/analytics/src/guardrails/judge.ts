import {
  GUARDRAIL_TESTS,
  parseDuration,
  type AnalysisSpecV1,
  type AnalysisSpecV2,
  type BreachKind,
  type SideEvidenceV1,
  type TestEvidenceV1,
  type VerdictOutcome,
} from '@graylane/contracts';
import { Evidence, LATENCY_TEST_QUANTILE, type SideStats, type SideTotals, type WindowTest } from './evidence.js';

export { Evidence, type SideStats } from './evidence.js';

/** A rollout's `analysis` block with every default filled in. */
export interface GuardrailSettings {
  readonly intervalMs: number;
  /** Requests each side needs, summed since the evidence began, before a verdict can pass. */
  readonly minRequests: number;
  /** Smallest canary/stable latency ratio (at the median and at P99) that may fail. */
  readonly maxP99Ratio: number;
  /** Smallest error-rate increase (absolute, 0.005 = 0.5 points) that may fail. */
  readonly maxErrorRateIncrease: number;
  /** Absolute floor beside `maxP99Ratio`: a latency effect must also exceed stable by this many ms. */
  readonly minP99IncreaseMs: number;
  /** False-rollback budget over the whole rollout, split equally between the three tests. */
  readonly significance: number;
  readonly enabled: boolean;
  readonly inconclusiveLimit: number;
  readonly onInconclusive: 'pause' | 'alert';
}

/** Defaults for fields a spec leaves out; docs/reports.md lists them for operators. */
export const GUARDRAIL_DEFAULTS: GuardrailSettings = Object.freeze({
  intervalMs: 10_000,
  minRequests: 200,
  // Margins are minimum effect sizes now, not the null hypothesis: a 1.3x slowdown or +0.5 point
  // of errors is worth rolling back once it is proven; smaller ones are not.
  maxP99Ratio: 1.2,
  maxErrorRateIncrease: 0.005,
  // Small enough not to hide a fast service (3 ms P99: effective ratio 1.33); a 1 ms change at
  // the median of a 1 ms service is still not worth a rollback.
  minP99IncreaseMs: 1,
  // 1 rollout in 400 rolled back though no worse, whatever it lasts; below the ceiling
  // with a margin (the simulated A/A figures are in docs/decisions/0004-sequential-judge.md).
  significance: 0.0025,
  enabled: true,
  // 5 minutes at 10 s windows.
  inconclusiveLimit: 30,
  onInconclusive: 'alert',
});

/** Fills in the defaults. The spec schema already bounds each field; `consecutiveFailures` is ignored. */
export function settingsOf(analysis: AnalysisSpecV1 | AnalysisSpecV2): GuardrailSettings {
  const v2: AnalysisSpecV2 = analysis;
  return Object.freeze({
    intervalMs: v2.interval === undefined ? GUARDRAIL_DEFAULTS.intervalMs : Math.max(1_000, parseDuration(v2.interval)),
    minRequests: v2.minRequests ?? GUARDRAIL_DEFAULTS.minRequests,
    maxP99Ratio: v2.maxP99Ratio ?? GUARDRAIL_DEFAULTS.maxP99Ratio,
    maxErrorRateIncrease: v2.maxErrorRateIncrease ?? GUARDRAIL_DEFAULTS.maxErrorRateIncrease,
    minP99IncreaseMs: v2.minP99IncreaseMs ?? GUARDRAIL_DEFAULTS.minP99IncreaseMs,
    significance: v2.significance ?? GUARDRAIL_DEFAULTS.significance,
    enabled: v2.enabled ?? GUARDRAIL_DEFAULTS.enabled,
    inconclusiveLimit: v2.inconclusiveLimit ?? GUARDRAIL_DEFAULTS.inconclusiveLimit,
    onInconclusive: v2.onInconclusive ?? GUARDRAIL_DEFAULTS.onInconclusive,
  });
}

/** The judgement of one window on the evidence so far, before it is tied to a rollout and a time. */
export interface Judgement {
  outcome: VerdictOutcome;
  /** V1 names: both latency tests report as 'p99-ratio'. */
  breaches: BreachKind[];
  reason: string;
  tests: TestEvidenceV1[];
  p99Ratio: number | null;
  errorRateIncrease: number;
  /** The error test's p-value in this window alone. */
  errorPValue: number;
  /** Totals since the evidence began. */
  stable: SideEvidenceV1;
  canary: SideEvidenceV1;
  /** Windows in a row, up to this one, with too little traffic (reset by any conclusive window). */
  inconclusiveStreak: number;
  needs: string;
}

/**
 * Adds one window to `evidence` and judges the rollout on everything since the evidence began.
 * Pure apart from `evidence`, which it extends: no clock, no I/O.
 *
 * A test breaches when its mixture e-value reaches 3/`significance` (so the three together roll a
 * canary that is no worse back with probability at most `significance`, however many windows
 * are looked at) AND its effect estimate is above the margin: the latency ratio above
 * max(`maxP99Ratio`, 1 + `minP99IncreaseMs` / stable's latency at that quantile), the error rate
 * above stable's by more than `maxErrorRateIncrease`. Any breach fails the verdict. Without a
 * breach, a verdict passes once each side has `minRequests` requests in the evidence; before
 * that it is inconclusive.
 */
export function judge(settings: GuardrailSettings, evidence: Evidence, stable: SideStats, canary: SideStats): Judgement {
  const windowTests = evidence.addWindow(stable, canary);
  const eThreshold = GUARDRAIL_TESTS.length / settings.significance;
  const tests = windowTests.map((seen) => testEvidence(settings, evidence, seen, eThreshold));
  const stableSide = sideEvidence(evidence.stableVersion, evidence.stable);
  const canarySide = sideEvidence(evidence.canaryVersion, evidence.canary);
  const errorRateIncrease = canarySide.errorRate - stableSide.errorRate;
  const p99Ratio = stableSide.p99Ms > 0 ? canarySide.p99Ms / stableSide.p99Ms : null;
  const errorPValue = windowTests.find((t) => t.test === 'error-rate')?.windowPValue ?? 1;
  const breached = tests.filter((t) => t.breached);
  const enough = evidence.stable.requests >= settings.minRequests && evidence.canary.requests >= settings.minRequests;
  const outcome: VerdictOutcome = breached.length > 0 ? 'fail' : enough ? 'pass' : 'inconclusive';
  evidence.inconclusiveStreak = outcome === 'inconclusive' ? evidence.inconclusiveStreak + 1 : 0;
  const breaches = [...new Set(breached.map((t): BreachKind => (t.test === 'error-rate' ? 'error-rate' : 'p99-ratio')))];
  const strongest = tests.reduce((a, b) => (Math.log(b.eValue) / Math.log(b.eThreshold) > Math.log(a.eValue) / Math.log(a.eThreshold) ? b : a));
  const totals = `${evidence.windows} windows: canary ${canarySide.requests} requests, stable ${stableSide.requests}`;
  const needs = needsLine(settings, evidence);
  let reason: string;
  if (outcome === 'fail') reason = `canary worse: ${breached.map(describe).join('; ')} (${totals})`;
  else if (outcome === 'pass') reason = `no proven regression over ${totals}; closest: ${describe(strongest)}`;
  else reason = `too little traffic: ${totals}; ${needs}`;
  return {
    outcome,
    breaches,
    reason,
    tests,
    p99Ratio,
    errorRateIncrease,
    errorPValue,
    stable: stableSide,
    canary: canarySide,
    inconclusiveStreak: evidence.inconclusiveStreak,
    needs,
  };
}

function testEvidence(settings: GuardrailSettings, evidence: Evidence, seen: WindowTest, eThreshold: number): TestEvidenceV1 {
  let effect: number;
  let effectThreshold: number;
  if (seen.test === 'error-rate') {
    effect = rateOf(evidence.canary) - rateOf(evidence.stable);
    effectThreshold = settings.maxErrorRateIncrease;
  } else {
    const q = LATENCY_TEST_QUANTILE[seen.test];
    const stableMs = evidence.stable.quantileMs(q);
    const canaryMs = evidence.canary.quantileMs(q);
    effect = stableMs > 0 ? canaryMs / stableMs : 0;
    effectThreshold = effectiveRatio(settings, stableMs);
  }
  const { canaryMarked, marked, canary, pooled } = seen.window;
  const expected = pooled === 0 ? 0 : (marked * canary) / pooled;
  const what = seen.test === 'error-rate' ? 'errors' : `above ${seen.thresholdMs ?? 0} ms`;
  return {
    test: seen.test,
    statistic: `window: canary ${canaryMarked} of ${marked} ${what}, ${expected.toFixed(1)} expected if no worse`,
    canaryMarked,
    marked,
    canaryRequests: canary,
    pooledRequests: pooled,
    thresholdMs: seen.thresholdMs,
    windowPValue: seen.windowPValue,
    eValue: seen.eValue,
    eThreshold,
    effect,
    effectThreshold,
    breached: seen.eValue >= eThreshold && effect > effectThreshold,
  };
}

/**
 * The relative and absolute latency margins as one ratio: a slowdown counts when it is both
 * `maxP99Ratio` times stable and `minP99IncreaseMs` above it. Shown in every verdict, so a fast
 * service can see how far its floor lifts the bar.
 */
export function effectiveRatio(settings: Pick<GuardrailSettings, 'maxP99Ratio' | 'minP99IncreaseMs'>, stableMs: number): number {
  return stableMs > 0 ? Math.max(settings.maxP99Ratio, 1 + settings.minP99IncreaseMs / stableMs) : settings.maxP99Ratio;
}

/** How much traffic the settings need, and how long that takes at the rates seen so far. */
function needsLine(settings: GuardrailSettings, evidence: Evidence): string {
  const seconds = (evidence.windows * settings.intervalMs) / 1000;
  const canaryRate = seconds > 0 ? evidence.canary.requests / seconds : 0;
  const stableRate = seconds > 0 ? evidence.stable.requests / seconds : 0;
  const slowest = Math.min(canaryRate, stableRate);
  const head = `a pass needs ${settings.minRequests} requests per side`;
  if (slowest <= 0) return `${head}; no traffic seen on ${canaryRate <= 0 ? 'canary' : 'stable'} yet`;
  const windows = Math.ceil(settings.minRequests / (slowest * (settings.intervalMs / 1000)));
  return `${head}: ${windows} window${windows === 1 ? '' : 's'} at ${canaryRate.toFixed(1)} canary, ${stableRate.toFixed(1)} stable req/s`;
}

function describe(test: TestEvidenceV1): string {
  const effect = test.test === 'error-rate' ? `${fmtPoints(test.effect)} (margin ${fmtPoints(test.effectThreshold)})` : `${test.effect.toFixed(2)}x (bar ${test.effectThreshold.toFixed(2)}x)`;
  return `${test.test} e=${fmtE(test.eValue)} of ${fmtE(test.eThreshold)}, effect ${effect}`;
}

function sideEvidence(version: string, totals: SideTotals): SideEvidenceV1 {
  return { version, requests: totals.requests, errors: totals.errors, errorRate: rateOf(totals), p99Ms: totals.quantileMs(0.99) };
}

function rateOf(totals: SideTotals): number {
  return totals.requests === 0 ? 0 : totals.errors / totals.requests;
}

function fmtE(value: number): string {
  return value >= 1000 || value < 0.01 ? value.toExponential(1) : value.toFixed(2);
}

function fmtPoints(rate: number): string {
  return `${rate >= 0 ? '+' : ''}${(rate * 100).toFixed(2)} pt`;
}
