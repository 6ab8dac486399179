import { parseDuration, type RolloutBodyV1, type RolloutRecordV1, type RoutingTableV1 } from '@graylane/contracts';
import { promoted, stamped } from '../plan/plan-core.js';
import type { GateDecision } from './analysis-gate.js';

/** Who the step driver writes as, in history and audit events. */
export const STEP_DRIVER_ACTOR = 'graylane-step-driver';

type Step = NonNullable<RolloutRecordV1['step']>;

/** The first step of a spec with steps: its weight and the step marker starting now. */
export function firstStep(spec: RolloutBodyV1, now: Date): { step: Step; weight: number } | undefined {
  const first = spec.steps?.[0];
  if (first === undefined) return undefined;
  return { step: { index: 0, startedAt: now.toISOString() }, weight: first.weight };
}

/** True when two specs roll out the same canary with the same steps, so progress carries over. */
export function sameRelease(a: RolloutBodyV1, b: RolloutBodyV1): boolean {
  return JSON.stringify(a.canary) === JSON.stringify(b.canary) && JSON.stringify(a.steps ?? []) === JSON.stringify(b.steps ?? []);
}

/** The current step's pause starts again from `now` (after a resume). */
export function restartedStep(record: RolloutRecordV1, now: Date): { step?: Step } {
  return record.step === undefined ? {} : { step: { ...record.step, startedAt: now.toISOString() } };
}

/** The record moved to step `index`: that step's weight, its pause starting now. */
function atStep(record: RolloutRecordV1, index: number, now: Date): RolloutRecordV1 {
  const weight = record.spec.steps?.[index]?.weight ?? record.spec.traffic.weight;
  return { ...record, spec: { ...record.spec, traffic: { ...record.spec.traffic, weight } }, step: { index, startedAt: now.toISOString() } };
}

/** The index of the manual gate (a step without a pause) the rollout waits at, or undefined. */
function manualGateIndex(record: RolloutRecordV1): number | undefined {
  const index = record.step?.index;
  if (index === undefined) return undefined;
  const current = record.spec.steps?.[index];
  return current !== undefined && current.pause === undefined ? index : undefined;
}

/**
 * Passes a manual gate that has a step after it: the record moved to that next step. Undefined
 * when the rollout is not waiting at such a gate, and also when the gate is the last step:
 * nothing comes after it, so `resume` does not promote; `promote` does.
 */
export function advanceManualGate(record: RolloutRecordV1, now: Date): RolloutRecordV1 | undefined {
  const index = manualGateIndex(record);
  return index !== undefined && index + 1 < (record.spec.steps?.length ?? 0) ? atStep(record, index + 1, now) : undefined;
}

/** True when the rollout waits at a manual gate that is its last step: only `promote` moves it on. */
export function waitsAtLastGate(record: RolloutRecordV1): boolean {
  const index = manualGateIndex(record);
  return index !== undefined && index === (record.spec.steps?.length ?? 0) - 1;
}

/** The progressing rollouts whose current step has a pause that has run out. */
export function dueSteps(table: RoutingTableV1, now: Date): RolloutRecordV1[] {
  return Object.values(table.rollouts).filter((record) => {
    if (record.state !== 'progressing' || record.step === undefined) return false;
    const pause = record.spec.steps?.[record.step.index]?.pause;
    return pause !== undefined && now.getTime() - Date.parse(record.step.startedAt) >= parseDuration(pause);
  });
}

/**
 * The rollouts whose current step's pause has run out and whose `gate` passes, moved on: to the next step, or promoted
 * after the last one. Only `progressing` rollouts move, so a rollback (which sets `rolled_back`)
 * stops the steps; `gate` is the analysis check (see analysis-gate.ts). A step without a pause
 * is a manual gate that waits for `resume` (or `promote` after the last step).
 */
export function advanceSteps(
  table: RoutingTableV1,
  now: Date,
  gate: (record: RolloutRecordV1) => GateDecision = () => ({ pass: true, why: 'no rollback happened' }),
): RolloutRecordV1[] {
  const moved: RolloutRecordV1[] = [];
  for (const record of dueSteps(table, now)) {
    const steps = record.spec.steps ?? [];
    const step = record.step ?? { index: 0, startedAt: '' };
    const decision = gate(record);
    if (!decision.pass) continue;
    const index = step.index + 1;
    const reason = `step ${step.index + 1}/${steps.length} held ${steps[step.index]?.pause ?? ''}; ${decision.why}`.slice(0, 1024);
    const meta = { actor: STEP_DRIVER_ACTOR, reason };
    moved.push(index < steps.length ? stamped(atStep(record, index, now), 'step', meta, now) : promoted(record, now, meta, 'step'));
  }
  return moved;
}
