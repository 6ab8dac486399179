import { GraylaneError, type RolloutRecordV1, type RoutingTableV1 } from '@graylane/contracts';
import { compileTable } from '@graylane/routing';
import { activationInstant } from './activate-at.js';

// The shared core of every planner (commands, lifecycle, steps, rollbacks): the table a plan is
// made against, the plan, and the one way a plan writes. It imports nothing else from the
// service, so planners depend on it and never on each other's files.

/** The routing table and the version (KV revision) it was read at; 0 before the first write. */
export interface TableAt {
  readonly table: RoutingTableV1;
  readonly version: number;
}

/** Who asked for a change, why, and when proxies should switch. */
export interface ChangeMeta {
  readonly verb: string;
  readonly actor: string;
  readonly reason: string | undefined;
  readonly activateAt: string | undefined;
}

/** What a command does: answer from the table, answer from elsewhere (history, status), or write. */
export type CommandPlan =
  | { readonly kind: 'read'; readonly rollouts: RolloutRecordV1[] }
  | { readonly kind: 'history'; readonly name: string; readonly limit: number }
  | { readonly kind: 'status' }
  | {
      readonly kind: 'write';
      readonly table: RoutingTableV1;
      readonly rollouts: RolloutRecordV1[];
      readonly expectedVersion: number | undefined;
      readonly meta: ChangeMeta;
    };

/** Earlier tables by version, for `rollback-config`; the service reads them from KV history. */
export type EarlierTable = (version: number) => RoutingTableV1 | undefined;

/** Fields of a mutating command, after schema validation. */
export interface Mutation {
  expectedVersion?: number;
  reason?: string;
  actor?: string;
  activateAt?: string;
}

/** `record` with who changed it, when, why and with which verb; a missing reason clears the old one. */
export function stamped(record: RolloutRecordV1, verb: string, command: Mutation, now: Date): RolloutRecordV1 {
  const { reason: _previous, ...rest } = record;
  return {
    ...rest,
    updatedAt: now.toISOString(),
    updatedBy: command.actor ?? 'unknown',
    command: verb,
    ...(command.reason === undefined ? {} : { reason: command.reason }),
  };
}

/** The record promoted: canary is the new stable, weight 0, steps done. */
export function promoted(existing: RolloutRecordV1, now: Date, command: Mutation, verb: string): RolloutRecordV1 {
  const { step: _done, ...rest } = existing;
  const spec = { ...existing.spec, stable: existing.spec.canary, traffic: { ...existing.spec.traffic, weight: 0 } };
  return stamped({ ...rest, spec, state: 'promoted' }, verb, command, now);
}

/** The rollout named `name`, or GRAYLANE_NOT_FOUND listing the known ones. */
export function recordOf(table: RoutingTableV1, name: string): RolloutRecordV1 {
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

/**
 * A write plan for the table with `records` put in and `removed` taken out. The whole new table
 * is compiled first, as every proxy will compile it, so a bad table (a weight finer than one
 * bucket, two rollouts on one route, ...) is never stored: this is where a weight inside the
 * table is checked, whatever planner put it there.
 */
export function writePlan(
  current: TableAt,
  records: RolloutRecordV1[],
  removed: string[],
  verb: string,
  command: Mutation,
  now: Date,
): CommandPlan {
  const expectedVersion = command.expectedVersion;
  if (expectedVersion !== undefined && expectedVersion !== current.version) {
    throw new GraylaneError(
      'GRAYLANE_VERSION_CONFLICT',
      `config is at version ${current.version}, not the expected ${expectedVersion}; read it again and retry`,
      { field: '/expectedVersion' },
    );
  }
  const rollouts = { ...current.table.rollouts };
  for (const name of removed) delete rollouts[name];
  for (const record of records) rollouts[record.name] = record;
  const { activateAt: _previous, lastChange: _last, ...base } = current.table;
  const table: RoutingTableV1 = {
    ...base,
    rollouts,
    ...(command.activateAt === undefined ? {} : { activateAt: activationInstant(command.activateAt, now) }),
    lastChange: {
      command: verb,
      actor: command.actor ?? 'unknown',
      ...(command.reason === undefined ? {} : { reason: command.reason }),
      at: now.toISOString(),
    },
  };
  compileTable(table, current.version + 1);
  return {
    kind: 'write',
    table,
    rollouts: records.length > 0 ? records : removed.map((name) => recordOf(current.table, name)),
    expectedVersion,
    meta: { verb, actor: command.actor ?? 'unknown', reason: command.reason, activateAt: command.activateAt },
  };
}
