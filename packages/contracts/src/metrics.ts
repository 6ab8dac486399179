import { Type, type Static } from '@sinclair/typebox';

/** Which side of a rollout served a request. */
export const PoolSide = Type.Union([Type.Literal('stable'), Type.Literal('canary')]);
export type PoolSide = Static<typeof PoolSide>;

/** `2xx` … `5xx`, or `err` when no response came from the upstream (connect error, timeout). */
export const StatusClass = Type.Union(
  ['1xx', '2xx', '3xx', '4xx', '5xx', 'err'].map((c) => Type.Literal(c)),
);
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'err';

/**
 * A latency histogram on the wire: the layout it was built with and its non-empty buckets as
 * `[index, count]` pairs. See `@graylane/histogram` for the layout.
 */
export const EncodedHistogramV1 = Type.Object({
  layout: Type.String(),
  buckets: Type.Array(Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 1 })])),
});
export type EncodedHistogramV1 = Static<typeof EncodedHistogramV1>;

/** Requests of one (rollout, pool, region, status class) in one batch window. */
export const MetricSeriesV1 = Type.Object({
  rollout: Type.String(),
  pool: PoolSide,
  version: Type.String({ description: 'the pool name from the spec, e.g. v2' }),
  region: Type.String({ description: 'empty when the rollout has no regions' }),
  statusClass: StatusClass,
  count: Type.Integer({ minimum: 1 }),
  latency: EncodedHistogramV1,
});
export type MetricSeriesV1 = Static<typeof MetricSeriesV1>;

/** What a proxy publishes about every second. `batchId` is also the JetStream message id. */
export const MetricBatchV1 = Type.Object({
  schema: Type.Literal('graylane.metric-batch/v1'),
  batchId: Type.String({ description: '<proxyId>:<seq>, unique per batch' }),
  proxyId: Type.String(),
  seq: Type.Integer({ minimum: 0 }),
  configVersion: Type.Integer({ minimum: 0 }),
  windowStartMs: Type.Integer(),
  windowEndMs: Type.Integer(),
  series: Type.Array(MetricSeriesV1),
});
export type MetricBatchV1 = Static<typeof MetricBatchV1>;

/** A proxy's periodic announcement of itself and the config version it runs. */
export const ProxyHeartbeatV1 = Type.Object({
  proxyId: Type.String(),
  configVersion: Type.Integer({ minimum: 0 }),
  startedAt: Type.String(),
  at: Type.String(),
});
export type ProxyHeartbeatV1 = Static<typeof ProxyHeartbeatV1>;
