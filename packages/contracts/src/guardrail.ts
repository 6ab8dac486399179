import { Type, type Static } from '@sinclair/typebox';
import { ErrorBodyV1 } from './commands.js';
import { ReportV1, VerdictV1 } from './report.js';

/** The three tests of the sequential guardrail, in the order it runs and reports them. */
export const GUARDRAIL_TESTS = ['latency-median', 'latency-tail', 'error-rate'] as const;
export const GuardrailTestName = Type.Union(GUARDRAIL_TESTS.map((name) => Type.Literal(name)));
export type GuardrailTestName = (typeof GUARDRAIL_TESTS)[number];

/** One test's figures in a verdict: what it counted in the window, and its evidence since the reset. */
export const TestEvidenceV1 = Type.Object({
  test: GuardrailTestName,
  statistic: Type.String({ description: 'one human line, e.g. "canary 33 of 60 errors; 6.0 expected if no worse"' }),
  canaryMarked: Type.Integer({ minimum: 0, description: 'canary requests marked in the window (errors, or above the threshold)' }),
  marked: Type.Integer({ minimum: 0, description: 'marked requests of both sides in the window' }),
  canaryRequests: Type.Integer({ minimum: 0 }),
  pooledRequests: Type.Integer({ minimum: 0 }),
  thresholdMs: Type.Union([Type.Number(), Type.Null()], { description: 'latency tests: the pooled quantile the window marks above' }),
  windowPValue: Type.Number({ description: 'exact one-sided conditional p-value of this window alone' }),
  eValue: Type.Number({ description: 'mixture e-value of every window since the evidence began' }),
  eThreshold: Type.Number({ description: 'the e-value that proves "worse": 1 / this test\'s share of the false-rollback budget' }),
  effect: Type.Number({ description: 'estimate since the evidence began: canary/stable latency ratio, or error-rate increase' }),
  effectThreshold: Type.Number({ description: 'the smallest effect that may fail: effective ratio (floor applied) or error margin' }),
  breached: Type.Boolean({ description: 'eValue >= eThreshold and effect > effectThreshold' }),
});
export type TestEvidenceV1 = Static<typeof TestEvidenceV1>;

/** Where the accumulated evidence stands, and what the settings need to judge. */
export const EvidenceSummaryV1 = Type.Object({
  sinceMs: Type.Integer({ description: 'end of the first window in the evidence (reset when either version changes)' }),
  windows: Type.Integer({ minimum: 0 }),
  inconclusiveWindows: Type.Integer({ minimum: 0, description: 'windows in a row, up to this one, with too little traffic' }),
  inconclusiveLimit: Type.Integer({ minimum: 1 }),
  onInconclusive: Type.Union([Type.Literal('pause'), Type.Literal('alert')]),
  falseRollbackBudget: Type.Number({ description: 'chance, over the whole rollout, of rolling back a canary no worse than stable' }),
  minRequests: Type.Integer({ minimum: 1, description: 'requests each side needs before a verdict can pass' }),
  canaryRatePerSecond: Type.Number({ description: 'canary requests per second, averaged over the evidence' }),
  stableRatePerSecond: Type.Number(),
  needs: Type.String({ description: 'one human line: how much traffic the current settings need to judge' }),
});
export type EvidenceSummaryV1 = Static<typeof EvidenceSummaryV1>;

/**
 * A guardrail verdict of the sequential judge: `VerdictV1`'s fields, where `stable` and `canary`
 * are totals since the evidence began, plus each test's figures. A V2 verdict is also a valid V1
 * verdict except for the two new `action` values.
 */
export const VerdictV2 = Type.Object({
  ...VerdictV1.properties,
  schema: Type.Literal('graylane.verdict/v2'),
  action: Type.Union([Type.Literal('none'), Type.Literal('rollback'), Type.Literal('pause'), Type.Literal('alert')]),
  tests: Type.Array(TestEvidenceV1),
  evidence: EvidenceSummaryV1,
});
export type VerdictV2 = Static<typeof VerdictV2>;

/**
 * Analytics found too little traffic to judge for `inconclusiveLimit` windows and the spec says
 * `onInconclusive: pause`. Published on the events stream with `eventId` as the message id; the
 * config service pauses the rollout once, as a new config version.
 */
export const GuardrailPauseEventV1 = Type.Object({
  schema: Type.Literal('graylane.guardrail-pause-event/v1'),
  eventId: Type.String({ description: '<rollout>:<configVersion>:<windowEndMs>; also the JetStream message id' }),
  rollout: Type.String(),
  configVersion: Type.Integer({ minimum: 0 }),
  canaryVersion: Type.String({ description: 'the canary judged; a pause for an older canary is stale' }),
  detectedAt: Type.String({ description: 'ISO 8601' }),
  inconclusiveWindows: Type.Integer({ minimum: 1 }),
  reason: Type.String({ description: 'one human line naming the traffic seen and needed' }),
});
export type GuardrailPauseEventV1 = Static<typeof GuardrailPauseEventV1>;

/** `ReportV1` whose verdicts are the sequential judge's; verdicts stored before it stay V1 (no `schema`). */
export const ReportV2 = Type.Object({
  ...ReportV1.properties,
  verdicts: Type.Optional(Type.Array(Type.Union([VerdictV2, VerdictV1]), { description: 'guardrail verdicts in the window, newest first' })),
});
export type ReportV2 = Static<typeof ReportV2>;

export const ReportReplyV2 = Type.Union([
  Type.Object({ ok: Type.Literal(true), report: ReportV2 }),
  Type.Object({ ok: Type.Literal(false), error: ErrorBodyV1 }),
]);
export type ReportReplyV2 = Static<typeof ReportReplyV2>;
