import { Type, type Static } from '@sinclair/typebox';
import { RolloutBodyV1 } from './rollout-spec.js';

/** Lifecycle of a rollout as the config service records it. */
export const RolloutState = Type.Union([
  Type.Literal('progressing'),
  Type.Literal('paused'),
  Type.Literal('promoted'),
  Type.Literal('aborted'),
  Type.Literal('rolled_back'),
]);
export type RolloutState = Static<typeof RolloutState>;

/** One rollout in the routing table: its spec plus who changed it last, when and why. */
export const RolloutRecordV1 = Type.Object({
  name: Type.String(),
  spec: RolloutBodyV1,
  state: RolloutState,
  updatedAt: Type.String({ description: 'ISO 8601 time of the last change' }),
  updatedBy: Type.String(),
  reason: Type.Optional(Type.String()),
  command: Type.Optional(Type.String({ description: 'the verb of the last change, e.g. weight' })),
  step: Type.Optional(
    Type.Object({
      index: Type.Integer({ minimum: 0, description: 'position in spec.steps' }),
      startedAt: Type.String({ description: 'ISO 8601 time the step began (or was resumed)' }),
    }),
  ),
  rollbackEventIds: Type.Optional(
    Type.Array(Type.String(), { description: 'rollback events already applied, newest last, so a redelivery is a no-op' }),
  ),
});
export type RolloutRecordV1 = Static<typeof RolloutRecordV1>;

/**
 * The whole routing table, the value of the KV key. Its version is the KV revision, which is
 * why it is not stored inside: a proxy reads both from the same KV entry.
 */
export const RoutingTableV1 = Type.Object({
  schema: Type.Literal('graylane.routing-table/v1'),
  rollouts: Type.Record(Type.String(), RolloutRecordV1),
  activateAt: Type.Optional(
    Type.String({ description: 'ISO 8601 instant at which proxies switch to this version; absent means at once' }),
  ),
  lastChange: Type.Optional(
    Type.Object(
      {
        command: Type.String(),
        actor: Type.String(),
        reason: Type.Optional(Type.String()),
        at: Type.String(),
      },
      { description: 'the command that wrote this version; names who deleted a rollout, which leaves no record' },
    ),
  ),
});
export type RoutingTableV1 = Static<typeof RoutingTableV1>;

/** One field that differs between two versions of a rollout, as a JSON pointer and its values. */
export const FieldChangeV1 = Type.Object({
  path: Type.String(),
  from: Type.Optional(Type.Unknown()),
  to: Type.Optional(Type.Unknown()),
});
export type FieldChangeV1 = Static<typeof FieldChangeV1>;

/** One change of one rollout in the config history: who, what, when, why, and the diff. */
export const HistoryEntryV1 = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  at: Type.String(),
  actor: Type.String(),
  command: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  state: Type.Union([RolloutState, Type.Literal('deleted')]),
  changes: Type.Array(FieldChangeV1),
});
export type HistoryEntryV1 = Static<typeof HistoryEntryV1>;

/** A live proxy and the config version it applies, from its latest heartbeat. */
export const ProxyStatusV1 = Type.Object({
  proxyId: Type.String(),
  configVersion: Type.Integer({ minimum: 0 }),
  lastSeen: Type.String(),
});
export type ProxyStatusV1 = Static<typeof ProxyStatusV1>;

/** The table before any command: no rollouts. */
export function emptyRoutingTable(): RoutingTableV1 {
  return { schema: 'graylane.routing-table/v1', rollouts: {} };
}
