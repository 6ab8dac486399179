import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from './duration.js';
import { STICKY_KEY_SOURCE_PATTERN } from './sticky-key.js';

const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'e.g. 250ms, 10s, 30m, 2h' });
const UpstreamUrl = Type.String({ pattern: '^https?://[^\\s/]+', description: 'http://host:port' });
const Upstreams = Type.Array(UpstreamUrl, { minItems: 1 });
const Name = Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'lower-case DNS label' });

/** Percent of users on canary, 0–100 with at most two decimals (one of 10 000 buckets). */
export const WeightPercent = Type.Number({ minimum: 0, maximum: 100 });

/** Where the sticky key comes from: `header:NAME`, `cookie:NAME`, `query:NAME` or `ip`. */
export const StickyKeySource = Type.String({ pattern: STICKY_KEY_SOURCE_PATTERN });

export const PoolSpecV1 = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), upstreams: Upstreams },
  { additionalProperties: false },
);
export type PoolSpecV1 = Static<typeof PoolSpecV1>;

export const MatchConditionV1 = Type.Object(
  {
    header: Type.Optional(Type.String({ minLength: 1 })),
    cookie: Type.Optional(Type.String({ minLength: 1 })),
    query: Type.Optional(Type.String({ minLength: 1 })),
    equals: Type.Optional(Type.String()),
    in: Type.Optional(Type.Array(Type.String())),
    regex: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type MatchConditionV1 = Static<typeof MatchConditionV1>;

export const RuleV1 = Type.Object(
  { when: MatchConditionV1, to: Type.Union([Type.Literal('stable'), Type.Literal('canary')]) },
  { additionalProperties: false },
);
export type RuleV1 = Static<typeof RuleV1>;

/**
 * Guardrails analytics applies to a rollout. Every field is optional; analytics documents its
 * defaults (docs/reports.md). Fields added after the first release are optional, so specs written
 * before them keep their meaning.
 */
export const AnalysisSpecV1 = Type.Object(
  {
    interval: Type.Optional(Duration),
    minRequests: Type.Optional(Type.Integer({ minimum: 1 })),
    maxP99Ratio: Type.Optional(Type.Number({ exclusiveMinimum: 1 })),
    maxErrorRateIncrease: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    minP99IncreaseMs: Type.Optional(
      Type.Number({ minimum: 0, description: 'absolute floor: a P99 breach also needs canary - stable above this many ms' }),
    ),
    consecutiveFailures: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'failed evaluations in a row before a rollback' }),
    ),
    significance: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 0.5, description: 'one-sided p-value below which an error-rate increase counts' }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: 'false: evaluate and store verdicts, never roll back' })),
  },
  { additionalProperties: false },
);
export type AnalysisSpecV1 = Static<typeof AnalysisSpecV1>;

/**
 * `AnalysisSpecV1` plus the low-traffic policy. Every V1 spec is a V2 spec with the same meaning
 * for its fields, as analytics' sequential judge reads them (docs/reports.md).
 */
export const AnalysisSpecV2 = Type.Object(
  {
    ...AnalysisSpecV1.properties,
    inconclusiveLimit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: 'windows in a row with too little traffic before onInconclusive acts' }),
    ),
    onInconclusive: Type.Optional(
      Type.Union([Type.Literal('pause'), Type.Literal('alert')], {
        description: 'pause: the config service pauses the rollout; alert: verdicts and a warning log say so, the canary keeps its weight',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AnalysisSpecV2 = Static<typeof AnalysisSpecV2>;

export const StepV1 = Type.Object(
  { weight: WeightPercent, pause: Type.Optional(Duration) },
  { additionalProperties: false },
);

export const RegionsSpecV1 = Type.Object(
  {
    from: Type.Object(
      {
        header: Type.Optional(Type.String({ minLength: 1 })),
        cidrs: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
      },
      { additionalProperties: false },
    ),
    pools: Type.Record(
      Type.String(),
      Type.Object(
        {
          stable: Upstreams,
          canary: Type.Optional(Upstreams),
          /** regions to try, in order, when this region's pool is unhealthy; replaces the rollout-wide list */
          fallback: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
    fallback: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type RegionsSpecV1 = Static<typeof RegionsSpecV1>;

const UserId = Type.String({ minLength: 1, maxLength: 256 });
const RedisKey = Type.String({ minLength: 1, maxLength: 256 });

/**
 * Users always sent to canary (`allow`) or kept on stable (`deny`; deny wins), matched against the
 * sticky key. Small lists live in the spec; large ones as Redis sets named by `allowSet`/`denySet`,
 * which the proxy looks up with the session binding under the same deadline.
 */
export const UserListsV1 = Type.Object(
  {
    allow: Type.Optional(Type.Array(UserId, { maxItems: 1000 })),
    deny: Type.Optional(Type.Array(UserId, { maxItems: 1000 })),
    allowSet: Type.Optional(RedisKey),
    denySet: Type.Optional(RedisKey),
  },
  { additionalProperties: false },
);
export type UserListsV1 = Static<typeof UserListsV1>;

/** The body of a rollout: what it matches, its two pools, and how traffic is split. */
export const RolloutBodyV1 = Type.Object(
  {
    match: Type.Object(
      {
        hosts: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        pathPrefix: Type.Optional(Type.String({ pattern: '^/' })),
      },
      { additionalProperties: false },
    ),
    stable: PoolSpecV1,
    canary: PoolSpecV1,
    responseHeaders: Type.Optional(Type.Boolean()),
    traffic: Type.Object(
      {
        weight: WeightPercent,
        stickyKey: Type.Optional(Type.Array(StickyKeySource, { minItems: 1 })),
        salt: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      },
      { additionalProperties: false },
    ),
    rules: Type.Optional(Type.Array(RuleV1)),
    users: Type.Optional(UserListsV1),
    session: Type.Optional(
      Type.Object({ cookie: Type.String({ minLength: 1 }), ttl: Duration }, { additionalProperties: false }),
    ),
    regions: Type.Optional(RegionsSpecV1),
    // V1 specs stay valid as they were; V2 adds the low-traffic policy (a superset, so the union
    // accepts exactly what V2 accepts, and says which shapes exist).
    analysis: Type.Optional(Type.Union([AnalysisSpecV1, AnalysisSpecV2])),
    steps: Type.Optional(Type.Array(StepV1)),
  },
  { additionalProperties: false },
);
export type RolloutBodyV1 = Static<typeof RolloutBodyV1>;

/** A rollout spec as operators write it (YAML or JSON), Kubernetes-style. */
export const RolloutSpecV1 = Type.Object(
  {
    apiVersion: Type.Literal('graylane.dev/v1'),
    kind: Type.Literal('Rollout'),
    metadata: Type.Object({ name: Name }, { additionalProperties: true }),
    spec: RolloutBodyV1,
  },
  { additionalProperties: false },
);
export type RolloutSpecV1 = Static<typeof RolloutSpecV1>;
