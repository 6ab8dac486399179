import {
  ApplyCommandV1,
  COMMAND_SCHEMAS,
  COMMAND_VERBS,
  GetCommandV1,
  GraylaneError,
  parseWith,
  WeightCommandV1,
  type CommandVerb,
  type RolloutRecordV1,
  type RoutingTableV1,
} from '@graylane/contracts';
import { compileTable, weightToBasisPoints } from '@graylane/routing';

/** The routing table and the version (KV revision) it was read at; 0 before the first write. */
export interface TableAt {
  readonly table: RoutingTableV1;
  readonly version: number;
}

/** What a command does: answer from the table, or write a new table. */
export type CommandPlan =
  | { readonly kind: 'read'; readonly rollouts: RolloutRecordV1[] }
  | {
      readonly kind: 'write';
      readonly table: RoutingTableV1;
      readonly rollouts: RolloutRecordV1[];
      readonly expectedVersion: number | undefined;
    };

/**
 * The pure core of the config service: validates a command against its schema and the current
 * table and says what to do. Throws a GraylaneError naming the bad field or rollout; never
 * touches the store, so a rejected command changes nothing.
 */
export function planCommand(verb: string, body: unknown, current: TableAt, now: Date): CommandPlan {
  if (!isVerb(verb)) {
    throw new GraylaneError('GRAYLANE_UNKNOWN_COMMAND', `unknown command "${verb}"; expected one of ${COMMAND_VERBS.join(', ')}`);
  }
  parseWith(COMMAND_SCHEMAS[verb], body, `${verb} command`);
  switch (verb) {
    case 'apply':
      return planApply(body as ApplyCommandV1, current, now);
    case 'weight':
      return planWeight(body as WeightCommandV1, current, now);
    case 'get':
      return { kind: 'read', rollouts: [recordOf(current.table, (body as GetCommandV1).name)] };
    case 'list':
      return { kind: 'read', rollouts: Object.values(current.table.rollouts) };
  }
}

function planApply(command: ApplyCommandV1, current: TableAt, now: Date): CommandPlan {
  const name = command.spec.metadata.name;
  const record: RolloutRecordV1 = {
    name,
    spec: command.spec.spec,
    state: 'progressing',
    updatedAt: now.toISOString(),
    updatedBy: command.actor ?? 'unknown',
    ...(command.reason === undefined ? {} : { reason: command.reason }),
  };
  return write(current, record, command.expectedVersion);
}

function planWeight(command: WeightCommandV1, current: TableAt, now: Date): CommandPlan {
  weightToBasisPoints(command.weight);
  const existing = recordOf(current.table, command.name);
  const record: RolloutRecordV1 = {
    ...existing,
    spec: { ...existing.spec, traffic: { ...existing.spec.traffic, weight: command.weight } },
    updatedAt: now.toISOString(),
    updatedBy: command.actor ?? 'unknown',
    ...(command.reason === undefined ? {} : { reason: command.reason }),
  };
  if (command.reason === undefined) delete record.reason;
  return write(current, record, command.expectedVersion);
}

/** A write plan for the table with `record` put in; compiled first so a bad table is never stored. */
function write(current: TableAt, record: RolloutRecordV1, expectedVersion: number | undefined): CommandPlan {
  if (expectedVersion !== undefined && expectedVersion !== current.version) {
    throw new GraylaneError(
      'GRAYLANE_VERSION_CONFLICT',
      `config is at version ${current.version}, not the expected ${expectedVersion}; read it again and retry`,
      { field: '/expectedVersion' },
    );
  }
  const table: RoutingTableV1 = { ...current.table, rollouts: { ...current.table.rollouts, [record.name]: record } };
  compileTable(table, current.version + 1);
  return { kind: 'write', table, rollouts: [record], expectedVersion };
}

function recordOf(table: RoutingTableV1, name: string): RolloutRecordV1 {
  const record = table.rollouts[name];
  if (record === undefined) {
    const known = Object.keys(table.rollouts);
    throw new GraylaneError(
      'GRAYLANE_NOT_FOUND',
      `no rollout named "${name}"${known.length > 0 ? `; known: ${known.join(', ')}` : '; none exist yet'}`,
      { field: '/name' },
    );
  }
  return record;
}

function isVerb(verb: string): verb is CommandVerb {
  return (COMMAND_VERBS as readonly string[]).includes(verb);
}
