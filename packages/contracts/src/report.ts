import { Type, type Static } from '@sinclair/typebox';
import { PoolSide } from './metrics.js';
import { ErrorBodyV1 } from './commands.js';

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

export const ReportV1 = Type.Object({
  name: Type.String(),
  sinceSeconds: Type.Integer(),
  generatedAt: Type.String(),
  pools: Type.Array(PoolReportV1),
});
export type ReportV1 = Static<typeof ReportV1>;

export const ReportReplyV1 = Type.Union([
  Type.Object({ ok: Type.Literal(true), report: ReportV1 }),
  Type.Object({ ok: Type.Literal(false), error: ErrorBodyV1 }),
]);
export type ReportReplyV1 = Static<typeof ReportReplyV1>;
