import type { GuardrailPauseEventV1 } from '@graylane/contracts';
import { planPause } from '../commands/plan-lifecycle.js';
import type { CommandPlan, TableAt } from '../plan/plan-core.js';
import { ROLLBACK_ACTOR } from './plan-rollback.js';

/** Why a guardrail pause changed nothing. */
export type PauseSkip = 'unknown-rollout' | 'not-progressing' | 'stale-canary' | 'resumed-since';

/**
 * Applies analytics' low-traffic pause (`onInconclusive: pause`) as the `pause` command would:
 * state `paused`, steps held, traffic at its current weight, the traffic seen and needed as the
 * reason. Only a progressing rollout of the same canary is paused, and not one an operator
 * resumed after the event was detected: resuming is how an operator accepts an unjudged canary.
 */
export function planGuardrailPause(event: GuardrailPauseEventV1, current: TableAt, now: Date): CommandPlan | PauseSkip {
  const existing = current.table.rollouts[event.rollout];
  if (existing === undefined) return 'unknown-rollout';
  if (existing.state !== 'progressing') return 'not-progressing';
  if (event.canaryVersion !== existing.spec.canary.name) return 'stale-canary';
  if (existing.command === 'resume' && Date.parse(existing.updatedAt) > Date.parse(event.detectedAt)) return 'resumed-since';
  return planPause({ name: event.rollout, actor: ROLLBACK_ACTOR, reason: `guardrail pause ${event.eventId}: ${event.reason}`.slice(0, 1024) }, current, now);
}
