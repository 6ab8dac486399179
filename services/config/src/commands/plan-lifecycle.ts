import {
  GraylaneError,
  type LifecycleCommandV1,
  type RollbackConfigCommandV1,
  type RolloutRecordV1,
  type RolloutState,
} from '@graylane/contracts';
import { promoted, recordOf, stamped, writePlan, type CommandPlan, type EarlierTable, type TableAt } from '../plan/plan-core.js';
import { advanceManualGate, firstStep, restartedStep, waitsAtLastGate } from '../steps/plan-steps.js';

/** Fails with GRAYLANE_CONFLICT unless the rollout is in one of `allowed` states. */
function requireState(record: RolloutRecordV1, verb: string, allowed: RolloutState[]): void {
  if (!allowed.includes(record.state)) {
    throw new GraylaneError(
      'GRAYLANE_CONFLICT',
      `cannot ${verb} rollout "${record.name}": it is ${record.state}; ${verb} applies to a rollout that is ${allowed.join(' or ')}`,
      { field: '/name' },
    );
  }
}

/** Holds the steps where they are; traffic keeps its current weight. */
export function planPause(command: LifecycleCommandV1, current: TableAt, now: Date): CommandPlan {
  const existing = recordOf(current.table, command.name);
  requireState(existing, 'pause', ['progressing', 'paused']);
  return writePlan(current, [stamped({ ...existing, state: 'paused' }, 'pause', command, now)], [], 'pause', command, now);
}

/**
 * Continues a paused rollout (its current step's pause starts again), passes a manual gate of a
 * progressing one, or restarts the steps of an aborted or rolled-back one.
 */
export function planResume(command: LifecycleCommandV1, current: TableAt, now: Date): CommandPlan {
  const existing = recordOf(current.table, command.name);
  requireState(existing, 'resume', ['paused', 'progressing', 'aborted', 'rolled_back']);
  let record: RolloutRecordV1;
  if (existing.state === 'paused') {
    record = { ...existing, state: 'progressing', ...restartedStep(existing, now) };
  } else if (existing.state === 'progressing') {
    const passed = advanceManualGate(existing, now);
    if (passed === undefined) {
      const why = waitsAtLastGate(existing)
        ? `rollout "${existing.name}" waits at the manual gate of its last step, with no step after it to resume to: promote it to finish`
        : `rollout "${existing.name}" is progressing and not waiting at a manual gate`;
      throw new GraylaneError('GRAYLANE_CONFLICT', why, { field: '/name' });
    }
    record = passed;
  } else {
    const first = firstStep(existing.spec, now);
    record = {
      ...existing,
      state: 'progressing',
      ...(first === undefined
        ? {}
        : { step: first.step, spec: { ...existing.spec, traffic: { ...existing.spec.traffic, weight: first.weight } } }),
    };
  }
  return writePlan(current, [stamped(record, 'resume', command, now)], [], 'resume', command, now);
}

/**
 * Finishes the rollout: the canary becomes the new stable and the weight goes back to 0, so the
 * next `apply` with a new canary starts from a clean stable.
 */
export function planPromote(command: LifecycleCommandV1, current: TableAt, now: Date): CommandPlan {
  const existing = recordOf(current.table, command.name);
  requireState(existing, 'promote', ['progressing', 'paused']);
  return writePlan(current, [promoted(existing, now, command, 'promote')], [], 'promote', command, now);
}

/** Sends every user to stable (the state forces it, overriding session bindings) at weight 0. */
export function planAbort(command: LifecycleCommandV1, current: TableAt, now: Date): CommandPlan {
  const existing = recordOf(current.table, command.name);
  requireState(existing, 'abort', ['progressing', 'paused']);
  const spec = { ...existing.spec, traffic: { ...existing.spec.traffic, weight: 0 } };
  return writePlan(current, [stamped({ ...existing, spec, state: 'aborted' }, 'abort', command, now)], [], 'abort', command, now);
}

/** Removes the rollout; its traffic then matches no rollout (or a broader one). */
export function planDelete(command: LifecycleCommandV1, current: TableAt, now: Date): CommandPlan {
  recordOf(current.table, command.name);
  return writePlan(current, [], [command.name], 'delete', command, now);
}

/** Restores the spec and state the rollout had at an earlier version, as a new version. */
export function planRollbackConfig(
  command: RollbackConfigCommandV1,
  current: TableAt,
  now: Date,
  earlier: EarlierTable,
): CommandPlan {
  if (command.toVersion >= current.version) {
    throw new GraylaneError(
      'GRAYLANE_VALIDATION',
      `--to ${command.toVersion} is not an earlier version; the config is at version ${current.version}`,
      { field: '/toVersion' },
    );
  }
  const table = earlier(command.toVersion);
  const then = table?.rollouts[command.name];
  if (then === undefined) {
    throw new GraylaneError(
      'GRAYLANE_NOT_FOUND',
      `rollout "${command.name}" is not in config version ${command.toVersion} (or that version is older than the kept history)`,
      { field: '/toVersion' },
    );
  }
  const existing = current.table.rollouts[command.name];
  const { step: _step, ...restored } = then;
  const record = stamped(
    {
      ...restored,
      ...(then.step === undefined ? {} : { step: { ...then.step, startedAt: now.toISOString() } }),
      ...(existing?.rollbackEventIds === undefined ? {} : { rollbackEventIds: existing.rollbackEventIds }),
    },
    'rollback-config',
    { ...command, reason: command.reason ?? `restored from version ${command.toVersion}` },
    now,
  );
  return writePlan(current, [record], [], 'rollback-config', command, now);
}
