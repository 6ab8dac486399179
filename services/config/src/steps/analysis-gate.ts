import type { RolloutRecordV1, VerdictV1, VerdictV2 } from '@graylane/contracts';

/** Whether a step whose pause ran out may advance, and why not. */
export type GateDecision = { readonly pass: true; readonly why: string } | { readonly pass: false; readonly why: string };

/** A verdict as analytics serves it: V2 from the sequential judge, V1 from before it. */
export type GateVerdict = VerdictV1 | VerdictV2;

/**
 * Pure: may this rollout leave its current step, given analytics' guardrail verdicts (newest
 * first) since the step began? A rollout without `analysis` advances on time alone (a rollback
 * still stops it, by its state). With `analysis`, the newest verdict in the step decides, and it
 * is judged on the evidence accumulated since the canary version began, the very evidence a
 * rollback is decided on: one noisy window moves neither. It advances when that verdict passes
 * and no V2 verdict in the step proved the canary worse (with `enabled: false` nothing rolls it
 * back, so the proof must hold it). No verdict, an inconclusive one (too little traffic), or no
 * answer from analytics holds it, because a canary nobody judged has not passed.
 */
export function analysisGate(record: RolloutRecordV1, verdicts: GateVerdict[] | undefined): GateDecision {
  if (record.spec.analysis === undefined) return { pass: true, why: 'no analysis configured; no rollback happened' };
  if (verdicts === undefined) return { pass: false, why: 'analytics gave no verdicts (not running, or too old to serve them)' };
  const stepStartedMs = Date.parse(record.step?.startedAt ?? '') || 0;
  const inStep = verdicts.filter((v) => v.rollout === record.name && v.window.endMs >= stepStartedMs);
  const proven = inStep.find((v) => 'schema' in v && v.outcome === 'fail');
  if (proven !== undefined) return { pass: false, why: `the guardrail proved the canary worse in this step: ${proven.reason}` };
  const newest = inStep[0];
  if (newest === undefined) return { pass: false, why: 'no verdict yet in this step' };
  if (newest.outcome !== 'pass') return { pass: false, why: `newest verdict is ${newest.outcome}: ${newest.reason}` };
  return { pass: true, why: `analysis passed: ${newest.reason}` };
}
