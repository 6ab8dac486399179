import type { FieldChangeV1, HistoryEntryV1, RolloutRecordV1, RoutingTableV1 } from './routing-table.js';

/** Bookkeeping fields that change on every write; the history names them in its own columns. */
const BOOKKEEPING = new Set(['updatedAt', 'updatedBy', 'reason', 'command', 'rollbackEventIds']);

/** Every leaf that differs between two JSON values, as JSON pointers, in a stable order. */
export function diffJson(before: unknown, after: unknown, path = ''): FieldChangeV1[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  // A created or removed object lists its leaves, so a creation shows every field it set.
  const from = before === undefined && isObject(after) ? {} : before;
  const to = after === undefined && isObject(before) ? {} : after;
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((key) => diffJson(from[key], to[key], `${path}/${key}`));
  }
  return [{ path: path || '/', ...(before === undefined ? {} : { from: before }), ...(after === undefined ? {} : { to: after }) }];
}

/** One stored version of the table. */
export interface TableVersion {
  version: number;
  table: RoutingTableV1 | undefined;
}

/**
 * The changes of rollout `name` across table versions (oldest first in, newest first out): one
 * entry per version that changed it, with who, when, why and the field diff.
 */
export function rolloutHistory(versions: TableVersion[], name: string, limit: number): HistoryEntryV1[] {
  const entries: HistoryEntryV1[] = [];
  let previous: RolloutRecordV1 | undefined;
  for (const { version, table } of versions) {
    const record = table?.rollouts[name];
    if (record === undefined && previous === undefined) continue;
    if (record === undefined && previous !== undefined) {
      const change = table?.lastChange;
      entries.push({
        version,
        at: change?.at ?? previous.updatedAt,
        actor: change?.actor ?? 'unknown',
        command: change?.command ?? 'delete',
        ...(change?.reason === undefined ? {} : { reason: change.reason }),
        state: 'deleted',
        changes: [{ path: '/', from: previous.name }],
      });
    } else if (record !== undefined && JSON.stringify(record) !== JSON.stringify(previous)) {
      entries.push({
        version,
        at: record.updatedAt,
        actor: record.updatedBy,
        ...(record.command === undefined ? {} : { command: record.command }),
        ...(record.reason === undefined ? {} : { reason: record.reason }),
        state: record.state,
        changes: diffJson(withoutBookkeeping(previous), withoutBookkeeping(record)),
      });
    }
    previous = record;
  }
  return entries.reverse().slice(0, limit);
}

function withoutBookkeeping(record: RolloutRecordV1 | undefined): Record<string, unknown> | undefined {
  if (record === undefined) return undefined;
  return Object.fromEntries(Object.entries(record).filter(([key]) => !BOOKKEEPING.has(key)));
}
