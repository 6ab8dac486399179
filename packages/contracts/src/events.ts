import { Type, type Static } from '@sinclair/typebox';

/** One side's figures in a guardrail judgement. Latencies in milliseconds. */
export const SideEvidenceV1 = Type.Object({
  version: Type.String(),
  requests: Type.Integer({ minimum: 0 }),
  errors: Type.Integer({ minimum: 0 }),
  errorRate: Type.Number(),
  p99Ms: Type.Number(),
});
export type SideEvidenceV1 = Static<typeof SideEvidenceV1>;

/**
 * What a guardrail breach was about, in V1 names: both latency tests (median and tail) report as
 * `p99-ratio`. Rollback events and V1 verdicts carry it.
 */
export const BreachKind = Type.Union([Type.Literal('p99-ratio'), Type.Literal('error-rate')]);
export type BreachKind = Static<typeof BreachKind>;

/**
 * Analytics found the canary worse than stable. Published on the events stream with `eventId` as
 * the JetStream message id; the config service applies it once, however often it is delivered.
 */
export const RollbackEventV1 = Type.Object({
  schema: Type.Literal('graylane.rollback-event/v1'),
  eventId: Type.String({ description: 'unique per breach; also the JetStream message id' }),
  rollout: Type.String(),
  /** The config version whose traffic was judged; a rollback for an older version may be stale. */
  configVersion: Type.Integer({ minimum: 0 }),
  detectedAt: Type.String({ description: 'ISO 8601' }),
  breach: BreachKind,
  reason: Type.String({ description: 'one human line, e.g. "canary p99 31.2 ms is 3.1x stable 10.0 ms (max 1.5x)"' }),
  window: Type.Object({ startMs: Type.Integer(), endMs: Type.Integer() }),
  stable: SideEvidenceV1,
  canary: SideEvidenceV1,
});
export type RollbackEventV1 = Static<typeof RollbackEventV1>;

/** Published by the config service after every successful write, for audit. */
export const ConfigChangedEventV1 = Type.Object({
  schema: Type.Literal('graylane.config-changed/v1'),
  version: Type.Integer({ minimum: 1 }),
  previousVersion: Type.Integer({ minimum: 0 }),
  command: Type.String(),
  rollouts: Type.Array(Type.String()),
  actor: Type.String(),
  reason: Type.Optional(Type.String()),
  at: Type.String({ description: 'ISO 8601' }),
});
export type ConfigChangedEventV1 = Static<typeof ConfigChangedEventV1>;
