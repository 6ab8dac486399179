import { describe, expect, it } from 'vitest';
import { emptyRoutingTable, GraylaneError, type RolloutSpecV1, type RoutingTableV1 } from '@graylane/contracts';
import { rolloutManifest } from '@graylane/testkit';
import { planCommand } from './plan-command.js';
import type { CommandPlan, TableAt } from '../plan/plan-core.js';
import { advanceSteps } from '../steps/plan-steps.js';
import { planRollbackEvent } from '../rollback/plan-rollback.js';
import { rolloutHistory } from '../history/diff.js';

const T0 = new Date('2026-11-26T12:00:00Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

function spec(steps?: { weight: number; pause?: string }[]): RolloutSpecV1 {
  return rolloutManifest({ steps });
}

/** Runs commands in order like the service would, each at its own time; returns every version. */
function run(commands: [string, unknown, Date?][], start: TableAt = { table: emptyRoutingTable(), version: 0 }): TableAt[] {
  const versions: TableAt[] = [start];
  for (const [verb, body, now] of commands) {
    const current = versions[versions.length - 1] as TableAt;
    const plan = planCommand(verb, body, current, now ?? T0, (v) => versions[v]?.table);
    versions.push(applied(plan, current));
  }
  return versions;
}

function applied(plan: CommandPlan, current: TableAt): TableAt {
  if (plan.kind !== 'write') throw new Error(`expected a write, got ${plan.kind}`);
  return { table: plan.table, version: current.version + 1 };
}

function last(versions: TableAt[]): TableAt {
  return versions[versions.length - 1] as TableAt;
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof GraylaneError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'no error';
}

const STEPS = [{ weight: 5, pause: '10s' }, { weight: 50 }, { weight: 100, pause: '10s' }];

describe('lifecycle commands', () => {
  it('pause, resume, abort, promote and delete move the state and the weight', () => {
    const v = run([
      ['apply', { spec: spec() }],
      ['pause', { name: 'checkout', reason: 'lunch' }],
      ['resume', { name: 'checkout' }],
      ['abort', { name: 'checkout', reason: 'bad' }],
    ]);
    expect(v.slice(1).map((t) => [t.table.rollouts.checkout?.state, t.table.rollouts.checkout?.spec.traffic.weight])).toEqual([
      ['progressing', 10],
      ['paused', 10],
      ['progressing', 10],
      ['aborted', 0],
    ]);
    const promotedV = run([['apply', { spec: spec() }], ['promote', { name: 'checkout' }]]);
    const promoted = last(promotedV).table.rollouts.checkout;
    expect(promoted).toMatchObject({ state: 'promoted', spec: { stable: { name: 'v2' }, traffic: { weight: 0 } } });
    expect(last(run([['apply', { spec: spec() }], ['delete', { name: 'checkout' }]])).table.rollouts).toEqual({});
  });

  it('refuses a transition that makes no sense, naming the state', () => {
    const aborted = last(run([['apply', { spec: spec() }], ['abort', { name: 'checkout' }]]));
    expect(codeOf(() => planCommand('promote', { name: 'checkout' }, aborted, T0))).toMatch(
      /GRAYLANE_CONFLICT: cannot promote rollout "checkout": it is aborted/,
    );
    expect(codeOf(() => planCommand('pause', { name: 'ghost' }, aborted, T0))).toMatch(/GRAYLANE_NOT_FOUND/);
  });

  it('rollback-config restores the spec of an earlier version as a new version', () => {
    const v = run([
      ['apply', { spec: spec() }],
      ['weight', { name: 'checkout', weight: 40 }],
      ['rollback-config', { name: 'checkout', toVersion: 1 }],
    ]);
    expect(last(v).version).toBe(3);
    expect(last(v).table.rollouts.checkout).toMatchObject({ spec: { traffic: { weight: 10 } }, command: 'rollback-config', reason: 'restored from version 1' });
    expect(codeOf(() => planCommand('rollback-config', { name: 'checkout', toVersion: 9 }, last(v), T0))).toMatch(/not an earlier version/);
  });

  it('carries activateAt into the table and drops it on the next change', () => {
    const v = run([
      ['apply', { spec: spec(), activateAt: '2026-11-26T12:00:05Z' }],
      ['weight', { name: 'checkout', weight: 20 }],
    ]);
    expect(v[1]?.table.activateAt).toBe('2026-11-26T12:00:05.000Z');
    expect(v[2]?.table.activateAt).toBeUndefined();
  });
});

describe('progressive steps', () => {
  it('start at the first step, advance after each pause, wait at a manual gate, promote after the last', () => {
    let table = last(run([['apply', { spec: spec(STEPS) }]])).table;
    expect(table.rollouts.checkout).toMatchObject({ spec: { traffic: { weight: 5 } }, step: { index: 0 } });
    expect(advanceSteps(table, at(9))).toEqual([]);
    const [second] = advanceSteps(table, at(10));
    expect(second).toMatchObject({ spec: { traffic: { weight: 50 } }, step: { index: 1 }, updatedBy: 'graylane-step-driver' });
    table = withRecord(table, second);
    expect(advanceSteps(table, at(3600))).toEqual([]); // manual gate
    const resumed = last(run([['resume', { name: 'checkout' }, at(20)]], { table, version: 2 }));
    expect(resumed.table.rollouts.checkout).toMatchObject({ spec: { traffic: { weight: 100 } }, step: { index: 2 } });
    const [done] = advanceSteps(resumed.table, at(30));
    expect(done).toMatchObject({ state: 'promoted', spec: { stable: { name: 'v2' }, traffic: { weight: 0 } } });
  });

  it('wait at a last step without a pause: resume does not pass it, promote does', () => {
    const steps = [{ weight: 5, pause: '10s' }, { weight: 50 }];
    const atGate = last(run([['apply', { spec: spec(steps) }]]));
    const [second] = advanceSteps(atGate.table, at(10));
    const waiting = { table: withRecord(atGate.table, second), version: 2 };
    expect(advanceSteps(waiting.table, at(3600))).toEqual([]);
    expect(codeOf(() => planCommand('resume', { name: 'checkout' }, waiting, at(20)))).toBe(
      'GRAYLANE_CONFLICT: rollout "checkout" waits at the manual gate of its last step, with no step after it to resume to: promote it to finish',
    );
    expect(last(run([['promote', { name: 'checkout' }, at(20)]], waiting)).table.rollouts.checkout).toMatchObject({
      state: 'promoted',
      spec: { stable: { name: 'v2' }, traffic: { weight: 0 } },
    });
  });

  it('refuse resume during a step\'s pause, naming why', () => {
    const holding = last(run([['apply', { spec: spec([{ weight: 5, pause: '10s' }, { weight: 50 }]) }]]));
    expect(codeOf(() => planCommand('resume', { name: 'checkout' }, holding, at(5)))).toBe(
      'GRAYLANE_CONFLICT: rollout "checkout" is progressing and not waiting at a manual gate',
    );
  });

  it('stamp each step as the step driver, replacing the operator\'s reason', () => {
    const start = last(run([['apply', { spec: spec(STEPS), actor: 'ana', reason: 'release 42' }]]));
    const [second] = advanceSteps(start.table, at(10));
    expect(second).toMatchObject({
      updatedAt: at(10).toISOString(),
      updatedBy: 'graylane-step-driver',
      command: 'step',
      reason: 'step 1/3 held 10s; no rollback happened',
      step: { index: 1, startedAt: at(10).toISOString() },
    });
  });

  it('hold while paused and while rolled back', () => {
    const paused = last(run([['apply', { spec: spec(STEPS) }], ['pause', { name: 'checkout' }]]));
    expect(advanceSteps(paused.table, at(60))).toEqual([]);
    const rolledBack = planRollbackEvent(event('e1'), last(run([['apply', { spec: spec(STEPS) }]])), T0);
    if (typeof rolledBack === 'string' || rolledBack.kind !== 'write') throw new Error('expected a write');
    expect(advanceSteps(rolledBack.table, at(60))).toEqual([]);
  });
});

describe('rollback events', () => {
  it('apply once as weight 0 and rolled_back with the evidence, and are no-ops when delivered again', () => {
    const start = last(run([['apply', { spec: spec() }]]));
    const plan = planRollbackEvent(event('e1'), start, T0);
    if (typeof plan === 'string' || plan.kind !== 'write') throw new Error('expected a write');
    expect(plan.table.rollouts.checkout).toMatchObject({
      state: 'rolled_back',
      spec: { traffic: { weight: 0 } },
      rollbackEventIds: ['e1'],
      updatedBy: 'graylane-analytics',
    });
    expect(plan.table.rollouts.checkout?.reason).toMatch(/rollback e1 \(p99-ratio\): canary p99 31 ms is 3.1x stable/);
    const after = { table: plan.table, version: 2 };
    expect(planRollbackEvent(event('e1'), after, T0)).toBe('already-applied');
    expect(planRollbackEvent(event('e2'), after, T0)).toBe('already-rolled-back');
    expect(planRollbackEvent({ ...event('e3'), rollout: 'ghost' }, after, T0)).toBe('unknown-rollout');
  });

  it('skip an event judged against an earlier canary than the one applied now', () => {
    const start = last(run([['apply', { spec: spec() }]]));
    const stale = event('e1');
    expect(planRollbackEvent({ ...stale, canary: { ...stale.canary, version: 'v0-old' } }, start, T0)).toBe('stale-canary');
  });
});

describe('history', () => {
  it('lists who changed a rollout, when, why and the fields that changed, newest first', () => {
    const v = run([
      ['apply', { spec: spec(), actor: 'ana', reason: 'release 42' }],
      ['weight', { name: 'checkout', weight: 25, actor: 'bo', reason: 'looks good' }, at(60)],
      ['delete', { name: 'checkout', actor: 'cy' }],
    ]);
    const history = rolloutHistory(v.slice(1).map((t) => ({ version: t.version, table: t.table })), 'checkout', 10);
    expect(history.map((h) => [h.version, h.actor, h.command, h.state])).toEqual([
      [3, 'cy', 'delete', 'deleted'],
      [2, 'bo', 'weight', 'progressing'],
      [1, 'ana', 'apply', 'progressing'],
    ]);
    expect(history[1]).toMatchObject({ reason: 'looks good', at: at(60).toISOString(), changes: [{ path: '/spec/traffic/weight', from: 10, to: 25 }] });
  });
});

function withRecord(table: RoutingTableV1, record: RoutingTableV1['rollouts'][string] | undefined): RoutingTableV1 {
  if (record === undefined) throw new Error('no record');
  return { ...table, rollouts: { ...table.rollouts, [record.name]: record } };
}

function event(eventId: string) {
  return {
    schema: 'graylane.rollback-event/v1' as const,
    eventId,
    rollout: 'checkout',
    configVersion: 1,
    detectedAt: T0.toISOString(),
    breach: 'p99-ratio' as const,
    reason: 'canary p99 31 ms is 3.1x stable 10 ms (max 1.5x)',
    window: { startMs: 0, endMs: 10_000 },
    stable: { version: 'v1', requests: 1000, errors: 0, errorRate: 0, p99Ms: 10 },
    canary: { version: 'v2', requests: 100, errors: 0, errorRate: 0, p99Ms: 31 },
  };
}
