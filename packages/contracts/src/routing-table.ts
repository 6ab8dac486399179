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
});
export type RolloutRecordV1 = Static<typeof RolloutRecordV1>;

/**
 * The whole routing table, the value of the KV key. Its version is the KV revision, which is
 * why it is not stored inside: a proxy reads both from the same KV entry.
 */
export const RoutingTableV1 = Type.Object({
  schema: Type.Literal('graylane.routing-table/v1'),
  rollouts: Type.Record(Type.String(), RolloutRecordV1),
});
export type RoutingTableV1 = Static<typeof RoutingTableV1>;

/** The table before any command: no rollouts. */
export function emptyRoutingTable(): RoutingTableV1 {
  return { schema: 'graylane.routing-table/v1', rollouts: {} };
}
