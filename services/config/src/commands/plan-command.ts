import {
  ApplyCommandV1,
  COMMAND_SCHEMAS,
  COMMAND_VERBS,
  GetCommandV1,
  GraylaneError,
  parseWith,
  WeightCommandV1,
  type CommandVerb,
  type LifecycleCommandV1,
  type RollbackConfigCommandV1,
  type RolloutRecordV1,
  type RolloutState,
} from '@graylane/contracts';
import { weightToBasisPoints } from '@graylane/routing';
import { checkUpstreamTargets, DEFAULT_UPSTREAM_POLICY, type UpstreamPolicy } from './upstream-policy.js';
import { planAbort, planDelete, planPause, planPromote, planResume, planRollbackConfig } from './plan-lifecycle.js';
import { recordOf, stamped, writePlan, type CommandPlan, type EarlierTable, type TableAt } from '../plan/plan-core.js';
import { firstStep, sameRelease } from '../steps/plan-steps.js';

/**
 * The pure core of the config service: validates a command against its schema and the current
 * table and says what to do. Throws a GraylaneError naming the bad field or rollout; never
 * touches the store, so a rejected command changes nothing.
 */
export function planCommand(
  verb: string,
  body: unknown,
  current: TableAt,
  now: Date,
  earlier: EarlierTable = () => undefined,
  policy: UpstreamPolicy = DEFAULT_UPSTREAM_POLICY,
): CommandPlan {
  if (!isVerb(verb)) {
    throw new GraylaneError('GRAYLANE_UNKNOWN_COMMAND', `unknown command "${verb}"; expected one of ${COMMAND_VERBS.join(', ')}`);
  }
  checkAtEdge(verb, body);
  switch (verb) {
    case 'apply':
      checkUpstreamTargets((body as ApplyCommandV1).spec.spec, policy, '/spec/spec');
      return planApply(body as ApplyCommandV1, current, now);
    case 'weight':
      return planWeight(body as WeightCommandV1, current, now);
    case 'get':
      return { kind: 'read', rollouts: [recordOf(current.table, (body as GetCommandV1).name)] };
    case 'list':
      return { kind: 'read', rollouts: Object.values(current.table.rollouts) };
    case 'pause':
      return planPause(body as LifecycleCommandV1, current, now);
    case 'resume':
      return planResume(body as LifecycleCommandV1, current, now);
    case 'promote':
      return planPromote(body as LifecycleCommandV1, current, now);
    case 'abort':
      return planAbort(body as LifecycleCommandV1, current, now);
    case 'delete':
      return planDelete(body as LifecycleCommandV1, current, now);
    case 'rollback-config':
      return planRollbackConfig(body as RollbackConfigCommandV1, current, now, earlier);
    case 'history': {
      const { name, limit } = body as { name: string; limit?: number };
      return { kind: 'history', name, limit: limit ?? 20 };
    }
    case 'status':
      return { kind: 'status' };
  }
}

function planApply(command: ApplyCommandV1, current: TableAt, now: Date): CommandPlan {
  const name = command.spec.metadata.name;
  const existing = current.table.rollouts[name];
  let spec = command.spec.spec;
  let step: RolloutRecordV1['step'];
  // Re-applying the same release mid-rollout keeps its progress; a new canary starts the steps over.
  if (existing?.step !== undefined && (existing.state === 'progressing' || existing.state === 'paused') && sameRelease(existing.spec, spec)) {
    step = existing.step;
    spec = { ...spec, traffic: { ...spec.traffic, weight: existing.spec.traffic.weight } };
  } else {
    const first = firstStep(spec, now);
    if (first !== undefined) {
      step = first.step;
      spec = { ...spec, traffic: { ...spec.traffic, weight: first.weight } };
    }
  }
  const record: RolloutRecordV1 = stamped(
    {
      name,
      spec,
      state: existing?.state === 'paused' && step !== undefined ? 'paused' : 'progressing',
      updatedAt: '',
      updatedBy: '',
      ...(step === undefined ? {} : { step }),
      ...(existing?.rollbackEventIds === undefined ? {} : { rollbackEventIds: existing.rollbackEventIds }),
    },
    'apply',
    command,
    now,
  );
  return writePlan(current, [record], [], 'apply', command, now);
}

/**
 * What to do instead of `weight` on a rollout whose state forces its traffic: the routing core
 * sends every user of a rolled-back or aborted rollout to stable, and of a promoted one to the
 * new stable, whatever the weight. A stored weight there would be shown (`rolled_back 5%`) but
 * never used.
 */
const WEIGHT_HINTS: Partial<Record<RolloutState, string>> = {
  rolled_back: 'run `graylane resume NAME` to restart its steps, or `graylane apply -f FILE` to start it again with a spec',
  aborted: 'run `graylane resume NAME` to restart its steps, or `graylane apply -f FILE` to start it again with a spec',
  promoted: 'its canary is the stable now; `graylane apply -f FILE` with a new canary starts the next rollout',
};

function planWeight(command: WeightCommandV1, current: TableAt, now: Date): CommandPlan {
  const existing = recordOf(current.table, command.name);
  const hint = WEIGHT_HINTS[existing.state];
  if (hint !== undefined) {
    const forced = existing.state === 'promoted' ? 'every user goes to the promoted version' : 'every user stays on stable';
    throw new GraylaneError(
      'GRAYLANE_CONFLICT',
      `cannot set the weight of rollout "${existing.name}": it is ${existing.state}, so ${forced} whatever the weight; ${hint.replace('NAME', existing.name)}`,
      { field: '/name' },
    );
  }
  const record = stamped(
    { ...existing, spec: { ...existing.spec, traffic: { ...existing.spec.traffic, weight: command.weight } } },
    'weight',
    command,
    now,
  );
  return writePlan(current, [record], [], 'weight', command, now);
}

/**
 * The command checked where it enters, before the table is looked at: its schema, and for
 * `weight` the one rule the schema cannot state, at most two decimals (one bucket is 0.01 %;
 * JSON Schema's `multipleOf: 0.01` would refuse 0.07 and even 10, which are no exact multiples
 * of the double nearest 0.01). The weight is not checked again until `writePlan` compiles the
 * new table.
 */
function checkAtEdge(verb: CommandVerb, body: unknown): void {
  parseWith(COMMAND_SCHEMAS[verb], body, `${verb} command`);
  if (verb === 'weight') weightToBasisPoints((body as WeightCommandV1).weight);
}

function isVerb(verb: string): verb is CommandVerb {
  return (COMMAND_VERBS as readonly string[]).includes(verb);
}
