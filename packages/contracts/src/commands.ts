import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { RolloutSpecV1, WeightPercent } from './rollout-spec.js';
import { HistoryEntryV1, ProxyStatusV1, RolloutRecordV1 } from './routing-table.js';
import { ErrorCode } from './errors.js';

/** Fields every mutating command may carry: compare-and-set on the version, and why. */
const MutationFields = {
  expectedVersion: Type.Optional(Type.Integer({ minimum: 0, description: 'fail unless the config is at this version' })),
  reason: Type.Optional(Type.String({ maxLength: 1024 })),
  actor: Type.Optional(Type.String({ maxLength: 256, description: 'who asked; defaults to "unknown"' })),
  activateAt: Type.Optional(
    Type.String({
      pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$',
      description: 'ISO 8601 instant at which every proxy switches to the new version' }),
  ),
};

const RolloutName = Type.String({ minLength: 1 });

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

/**
 * Change the lifecycle of one rollout: `pause` holds its steps, `resume` continues them (and
 * passes a manual gate), `promote` makes the canary the new stable at weight 0, `abort` sends
 * every user to stable, `delete` removes the rollout.
 */
export const LifecycleCommandV1 = Type.Object({ name: RolloutName, ...MutationFields }, { additionalProperties: false });
export type LifecycleCommandV1 = Static<typeof LifecycleCommandV1>;

/** Who changed one rollout, when, why and what changed, newest first. */
export const HistoryCommandV1 = Type.Object(
  { name: RolloutName, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })) },
  { additionalProperties: false },
);
export type HistoryCommandV1 = Static<typeof HistoryCommandV1>;

/** Restore the spec a rollout had at an earlier config version, as a new version. */
export const RollbackConfigCommandV1 = Type.Object(
  { name: RolloutName, toVersion: Type.Integer({ minimum: 1 }), ...MutationFields },
  { additionalProperties: false },
);
export type RollbackConfigCommandV1 = Static<typeof RollbackConfigCommandV1>;

/** Live proxies and the config version each applies, as the config service heard them. */
export const StatusCommandV1 = Type.Object({}, { additionalProperties: false });
export type StatusCommandV1 = Static<typeof StatusCommandV1>;

/** A command's body schema and the name of the JSON Schema file `schemas/` publishes it as. */
export interface CommandBody<S extends TSchema = TSchema> {
  readonly schema: S;
  readonly file: string;
}

/** The body the lifecycle verbs share, published once. */
const LIFECYCLE_BODY = { schema: LifecycleCommandV1, file: 'lifecycle-command.v1' } as const;

/**
 * Every command verb the config service answers, with its body: the one list of verbs.
 * {@link COMMAND_VERBS}, {@link COMMAND_SCHEMAS} and the command files of `schemas/` are derived
 * from it, so a new verb is one line here (and its case in the config service's planner).
 */
export const COMMAND_BODIES = {
  apply: { schema: ApplyCommandV1, file: 'apply-command.v1' },
  weight: { schema: WeightCommandV1, file: 'weight-command.v1' },
  get: { schema: GetCommandV1, file: 'get-command.v1' },
  list: { schema: ListCommandV1, file: 'list-command.v1' },
  pause: LIFECYCLE_BODY,
  resume: LIFECYCLE_BODY,
  promote: LIFECYCLE_BODY,
  abort: LIFECYCLE_BODY,
  delete: LIFECYCLE_BODY,
  history: { schema: HistoryCommandV1, file: 'history-command.v1' },
  'rollback-config': { schema: RollbackConfigCommandV1, file: 'rollback-config-command.v1' },
  status: { schema: StatusCommandV1, file: 'status-command.v1' },
} as const satisfies Record<string, CommandBody>;

/** A verb the config service answers, e.g. `weight`. */
export type CommandVerb = keyof typeof COMMAND_BODIES;

/** The body of the command `V`, e.g. `CommandBodyOf<'weight'>` is {@link WeightCommandV1}. */
export type CommandBodyOf<V extends CommandVerb> = Static<(typeof COMMAND_BODIES)[V]['schema']>;

/** The command verbs, in the order of {@link COMMAND_BODIES}. */
export const COMMAND_VERBS = Object.keys(COMMAND_BODIES) as readonly CommandVerb[];

/** The schema of each command, by verb. */
export const COMMAND_SCHEMAS = Object.fromEntries(COMMAND_VERBS.map((verb) => [verb, COMMAND_BODIES[verb].schema])) as {
  readonly [V in CommandVerb]: (typeof COMMAND_BODIES)[V]['schema'];
};

/** Each command body schema by the file name it is published as; verbs sharing a body share a file. */
export const COMMAND_BODY_FILES: Readonly<Record<string, TSchema>> = Object.fromEntries(
  Object.values(COMMAND_BODIES).map((body: CommandBody) => [body.file, body.schema]),
);

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
    history: Type.Optional(Type.Array(HistoryEntryV1, { description: 'answer to history, newest first' })),
    proxies: Type.Optional(Type.Array(ProxyStatusV1, { description: 'answer to status' })),
  }),
  Type.Object({ ok: Type.Literal(false), error: ErrorBodyV1 }),
]);
export type CommandReplyV1 = Static<typeof CommandReplyV1>;
