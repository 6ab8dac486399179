import { Type, type Static } from '@sinclair/typebox';
import { PoolSide } from './metrics.js';
import { ErrorBodyV1 } from './commands.js';
import { BreachKind, SideEvidenceV1 } from './events.js';

/** Ask analytics for a report over the last `sinceSeconds`. */
export const ReportRequestV1 = Type.Object(
  { name: Type.String({ minLength: 1 }), sinceSeconds: Type.Integer({ minimum: 1, maximum: 31 * 86400 }) },
  { additionalProperties: false },
);
export type ReportRequestV1 = Static<typeof ReportRequestV1>;

/** Requests, errors and latency quantiles of one pool. Latencies in milliseconds. */
export const PoolReportV1 = Type.Object({
  pool: PoolSide,
  version: Type.String(),
  requests: Type.Integer({ minimum: 0 }),
  errors: Type.Integer({ minimum: 0, description: '5xx and upstream failures' }),
  errorRate: Type.Number(),
  p50Ms: Type.Number(),
  p95Ms: Type.Number(),
  p99Ms: Type.Number(),
  p999Ms: Type.Number(),
});
export type PoolReportV1 = Static<typeof PoolReportV1>;

/** What one guardrail evaluation concluded. `inconclusive` (too little traffic) is never a pass. */
export const VerdictOutcome = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('inconclusive')]);
export type VerdictOutcome = Static<typeof VerdictOutcome>;

/**
 * One guardrail evaluation of a rollout over one window, canary against stable. Analytics stores
 * every verdict and serves them; `action` says whether this verdict published a rollback.
 */
export const VerdictV1 = Type.Object({
  rollout: Type.String(),
  configVersion: Type.Integer({ minimum: 0 }),
  window: Type.Object({ startMs: Type.Integer(), endMs: Type.Integer() }),
  evaluatedAt: Type.String({ description: 'ISO 8601' }),
  outcome: VerdictOutcome,
  breaches: Type.Array(BreachKind),
  reason: Type.String({ description: 'one human line' }),
  consecutiveFailures: Type.Integer({ minimum: 0 }),
  action: Type.Union([Type.Literal('none'), Type.Literal('rollback')]),
  p99Ratio: Type.Union([Type.Number(), Type.Null()], { description: 'canary/stable P99; null without a stable P99' }),
  errorRateIncrease: Type.Number({ description: 'canary error rate minus stable error rate' }),
  errorPValue: Type.Number({ description: 'one-sided two-proportion z-test p-value that canary errs more' }),
  stable: SideEvidenceV1,
  canary: SideEvidenceV1,
});
export type VerdictV1 = Static<typeof VerdictV1>;

export const ReportV1 = Type.Object({
  name: Type.String(),
  sinceSeconds: Type.Integer(),
  generatedAt: Type.String(),
  pools: Type.Array(PoolReportV1),
  verdicts: Type.Optional(Type.Array(VerdictV1, { description: 'guardrail verdicts in the window, newest first' })),
});
export type ReportV1 = Static<typeof ReportV1>;

export const ReportReplyV1 = Type.Union([
  Type.Object({ ok: Type.Literal(true), report: ReportV1 }),
  Type.Object({ ok: Type.Literal(false), error: ErrorBodyV1 }),
]);
export type ReportReplyV1 = Static<typeof ReportReplyV1>;
