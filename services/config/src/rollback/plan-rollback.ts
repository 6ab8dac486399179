import type { RollbackEventV1, RolloutRecordV1 } from '@graylane/contracts';
import { writePlan, type CommandPlan, type TableAt } from '../plan/plan-core.js';

/** Who rollbacks are recorded as, in history and audit events. */
export const ROLLBACK_ACTOR = 'graylane-analytics';

/** How many applied rollback event ids a record remembers; enough to outlast redeliveries. */
const REMEMBERED_EVENTS = 20;

/** Why a rollback event changed nothing. */
export type RollbackSkip = 'already-applied' | 'already-rolled-back' | 'unknown-rollout' | 'not-live' | 'stale-canary';

/**
 * Applies a guardrail breach as a new version: weight 0 and state `rolled_back` (which the
 * routing core turns into "everyone on stable", over session bindings), the evidence as the
 * reason, and the steps held because only progressing rollouts advance. Applying the same event
 * again is a no-op (its id is remembered in the record), so redelivery is harmless.
 */
export function planRollbackEvent(event: RollbackEventV1, current: TableAt, now: Date): CommandPlan | RollbackSkip {
  const existing = current.table.rollouts[event.rollout];
  if (existing === undefined) return 'unknown-rollout';
  const seen = existing.rollbackEventIds ?? [];
  if (seen.includes(event.eventId)) return 'already-applied';
  if (existing.state === 'rolled_back') return 'already-rolled-back';
  if (existing.state !== 'progressing' && existing.state !== 'paused') return 'not-live';
  // Events wait in the stream for days: one judged against an earlier canary must not roll back
  // the canary the operator has applied since.
  if (event.canary.version !== existing.spec.canary.name) return 'stale-canary';
  const reason =
    `rollback ${event.eventId} (${event.breach}): ${event.reason}; ` +
    `canary ${event.canary.version} p99 ${event.canary.p99Ms} ms, errors ${event.canary.errors}/${event.canary.requests}; ` +
    `stable ${event.stable.version} p99 ${event.stable.p99Ms} ms, errors ${event.stable.errors}/${event.stable.requests}`;
  const record: RolloutRecordV1 = {
    ...existing,
    spec: { ...existing.spec, traffic: { ...existing.spec.traffic, weight: 0 } },
    state: 'rolled_back',
    updatedAt: now.toISOString(),
    updatedBy: ROLLBACK_ACTOR,
    command: 'rollback',
    reason: reason.slice(0, 1024),
    rollbackEventIds: [...seen, event.eventId].slice(-REMEMBERED_EVENTS),
  };
  return writePlan(current, [record], [], 'rollback', { actor: ROLLBACK_ACTOR, reason: record.reason }, now);
}
