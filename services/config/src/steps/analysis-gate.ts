import type { RolloutRecordV1, VerdictV1 } from '@graylane/contracts';

/** Whether a step whose pause ran out may advance, and why not. */
export type GateDecision = { readonly pass: true; readonly why: string } | { readonly pass: false; readonly why: string };

/**
 * Pure: may this rollout leave its current step, given analytics' guardrail verdicts (newest
 * first) since the step began? A rollout without `analysis` advances on time alone (a rollback
 * still stops it, by its state). With `analysis`, it advances only when the newest verdict in the
 * step is a pass and none failed; no verdict, an inconclusive one (too little traffic), or no
 * answer from analytics holds it, because a canary nobody judged has not passed.
 */
export function analysisGate(record: RolloutRecordV1, verdicts: VerdictV1[] | undefined): GateDecision {
  if (record.spec.analysis === undefined) return { pass: true, why: 'no analysis configured; no rollback happened' };
  if (verdicts === undefined) return { pass: false, why: 'analytics gave no verdicts (not running, or too old to serve them)' };
  const stepStartedMs = Date.parse(record.step?.startedAt ?? '') || 0;
  const inStep = verdicts.filter((v) => v.rollout === record.name && v.window.endMs >= stepStartedMs);
  const failed = inStep.find((v) => v.outcome === 'fail');
  if (failed !== undefined) return { pass: false, why: `a verdict in this step failed: ${failed.reason}` };
  const newest = inStep[0];
  if (newest === undefined) return { pass: false, why: 'no verdict yet in this step' };
  if (newest.outcome !== 'pass') return { pass: false, why: `newest verdict is ${newest.outcome}: ${newest.reason}` };
  return { pass: true, why: `analysis passed: ${newest.reason}` };
}
