import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { RolloutSpecV1, WeightPercent } from './rollout-spec.js';
import { RolloutRecordV1 } from './routing-table.js';
import { ErrorCode } from './errors.js';

/** Fields every mutating command may carry: compare-and-set on the version, and why. */
const MutationFields = {
  expectedVersion: Type.Optional(Type.Integer({ minimum: 0, description: 'fail unless the config is at this version' })),
  reason: Type.Optional(Type.String({ maxLength: 1024 })),
  actor: Type.Optional(Type.String({ maxLength: 256, description: 'who asked; defaults to "unknown"' })),
};

/** Create or update a rollout from a spec. */
export const ApplyCommandV1 = Type.Object({ spec: RolloutSpecV1, ...MutationFields }, { additionalProperties: false });
export type ApplyCommandV1 = Static<typeof ApplyCommandV1>;

/** Set the canary weight of an existing rollout. */
export const WeightCommandV1 = Type.Object(
  { name: Type.String({ minLength: 1 }), weight: WeightPercent, ...MutationFields },
  { additionalProperties: false },
);
export type WeightCommandV1 = Static<typeof WeightCommandV1>;

/** Read one rollout. */
export const GetCommandV1 = Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false });
export type GetCommandV1 = Static<typeof GetCommandV1>;

/** List every rollout. */
export const ListCommandV1 = Type.Object({}, { additionalProperties: false });
export type ListCommandV1 = Static<typeof ListCommandV1>;

/** The schema of each command, by verb. */
export const COMMAND_SCHEMAS = {
  apply: ApplyCommandV1,
  weight: WeightCommandV1,
  get: GetCommandV1,
  list: ListCommandV1,
} as const satisfies Record<string, TSchema>;

/** A typed error as it travels in replies. */
export const ErrorBodyV1 = Type.Object({
  code: ErrorCode,
  message: Type.String(),
  field: Type.Optional(Type.String({ description: 'JSON pointer of the offending field' })),
  retryable: Type.Boolean(),
});
export type ErrorBodyV1 = Static<typeof ErrorBodyV1>;

/** Reply to every command: the config version and the rollouts touched, or a typed error. */
export const CommandReplyV1 = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    version: Type.Integer({ minimum: 0 }),
    rollouts: Type.Array(RolloutRecordV1),
  }),
  Type.Object({ ok: Type.Literal(false), error: ErrorBodyV1 }),
]);
export type CommandReplyV1 = Static<typeof CommandReplyV1>;
