import { describe, expect, it } from 'vitest';
import { emptyRoutingTable, type RolloutSpecV1 } from '@graylane/contracts';
import { rolloutManifest } from '@graylane/testkit';
import { planCommand } from './plan-command.js';
import type { TableAt } from '../plan/plan-core.js';
import { errorOf } from '../test-support/graylane-error.js';

const NOW = new Date('2026-11-26T12:00:00Z');

function spec(name: string, weight = 10, pathPrefix = `/${name}`): RolloutSpecV1 {
  return rolloutManifest({ name, weight, pathPrefix });
}

function tableWith(...specs: RolloutSpecV1[]): TableAt {
  let at: TableAt = { table: emptyRoutingTable(), version: 0 };
  for (const s of specs) {
    const plan = planCommand('apply', { spec: s }, at, NOW);
    if (plan.kind !== 'write') throw new Error('expected a write');
    at = { table: plan.table, version: at.version + 1 };
  }
  return at;
}

describe('planCommand', () => {
  it('apply writes the rollout with who and why', () => {
    const plan = planCommand('apply', { spec: spec('checkout'), actor: 'ana', reason: 'release 42' }, tableWith(), NOW);
    expect(plan.kind).toBe('write');
    if (plan.kind !== 'write') return;
    expect(plan.table.rollouts.checkout).toMatchObject({
      name: 'checkout',
      state: 'progressing',
      updatedBy: 'ana',
      reason: 'release 42',
      updatedAt: NOW.toISOString(),
    });
  });

  it('weight changes only the weight', () => {
    const current = tableWith(spec('checkout', 10));
    const plan = planCommand('weight', { name: 'checkout', weight: 30 }, current, NOW);
    if (plan.kind !== 'write') throw new Error('expected a write');
    expect(plan.table.rollouts.checkout?.spec.traffic.weight).toBe(30);
    expect(plan.table.rollouts.checkout?.spec.stable).toEqual(current.table.rollouts.checkout?.spec.stable);
  });

  it.each([
    ['weight 101', 'weight', { name: 'checkout', weight: 101 }, 'GRAYLANE_VALIDATION', /\/weight/],
    ['weight -1', 'weight', { name: 'checkout', weight: -1 }, 'GRAYLANE_VALIDATION', /\/weight/],
    ['weight 12.345', 'weight', { name: 'checkout', weight: 12.345 }, 'GRAYLANE_VALIDATION', /12\.345/],
    ['unknown rollout', 'weight', { name: 'nope', weight: 5 }, 'GRAYLANE_NOT_FOUND', /no rollout named "nope"; known: checkout/],
    ['unknown verb', 'launch', {}, 'GRAYLANE_UNKNOWN_COMMAND', /unknown command "launch"/],
    ['spec missing canary', 'apply', { spec: { ...spec('x'), spec: { ...spec('x').spec, canary: undefined } } }, 'GRAYLANE_VALIDATION', /\/spec\/spec\/canary/],
    ['stale version', 'weight', { name: 'checkout', weight: 5, expectedVersion: 7 }, 'GRAYLANE_VERSION_CONFLICT', /version 1, not the expected 7/],
  ] as const)('rejects %s with a typed error', (_label, verb, body, code, message) => {
    const error = errorOf(() => planCommand(verb, JSON.parse(JSON.stringify(body)), tableWith(spec('checkout')), NOW));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('checks a weight where the command enters, before the rollout is looked up, naming the field', () => {
    // The schema refuses the range; the edge adds the two-decimal rule the schema cannot state.
    const finer = errorOf(() => planCommand('weight', { name: 'nope', weight: 12.345 }, tableWith(spec('checkout')), NOW));
    expect([finer.code, finer.field, finer.message]).toEqual([
      'GRAYLANE_VALIDATION',
      '/weight',
      'invalid weight 12.345: a weight has at most two decimals (one bucket is 0.01 %)',
    ]);
    const above = errorOf(() => planCommand('weight', { name: 'nope', weight: 101 }, tableWith(spec('checkout')), NOW));
    expect([above.code, above.field]).toEqual(['GRAYLANE_VALIDATION', '/weight']);
    expect(above.message).toMatch(/^invalid weight command: \/weight: .*101/);
  });

  it.each([0, 0.01, 0.07, 12.34, 99.99, 100])('takes the two-decimal weight %s', (weight) => {
    const plan = planCommand('weight', { name: 'checkout', weight }, tableWith(spec('checkout')), NOW);
    if (plan.kind !== 'write') throw new Error('expected a write');
    expect(plan.table.rollouts.checkout?.spec.traffic.weight).toBe(weight);
  });

  it('checks a weight inside a spec where the new table is compiled, naming the rollout and field', () => {
    const error = errorOf(() => planCommand('apply', { spec: spec('checkout', 12.345) }, tableWith(), NOW));
    expect([error.code, error.field]).toEqual(['GRAYLANE_VALIDATION', '/rollouts/checkout/spec/traffic/weight']);
    expect(error.message).toBe('rollout "checkout": spec.traffic.weight: invalid weight 12.345: a weight has at most two decimals (one bucket is 0.01 %)');
  });

  it.each([
    ['rolled_back', /it is rolled_back, so every user stays on stable whatever the weight; run `graylane resume checkout` to restart its steps, or `graylane apply -f FILE`/],
    ['aborted', /it is aborted, so every user stays on stable whatever the weight; run `graylane resume checkout`/],
    ['promoted', /it is promoted, so every user goes to the promoted version whatever the weight; .*`graylane apply -f FILE` with a new canary/],
  ] as const)('refuses a weight on a %s rollout, whose traffic the state forces, and says how to restart it', (state, message) => {
    const at = tableWith(spec('checkout', 10));
    const record = at.table.rollouts.checkout!;
    const stopped: TableAt = {
      version: at.version + 1,
      table: { ...at.table, rollouts: { checkout: { ...record, state, spec: { ...record.spec, traffic: { ...record.spec.traffic, weight: 0 } } } } },
    };
    const error = errorOf(() => planCommand('weight', { name: 'checkout', weight: 5 }, stopped, NOW));
    expect(error.code).toBe('GRAYLANE_CONFLICT');
    expect(error.field).toBe('/name');
    expect(error.message).toMatch(message);
    if (state === 'promoted') return;
    // The hint works: resume restarts it, and then the weight is taken.
    const resumed = planCommand('resume', { name: 'checkout' }, stopped, NOW);
    if (resumed.kind !== 'write') throw new Error('expected a write');
    const weighted = planCommand('weight', { name: 'checkout', weight: 5 }, { table: resumed.table, version: stopped.version + 1 }, NOW);
    if (weighted.kind !== 'write') throw new Error('expected a write');
    expect(weighted.table.rollouts.checkout).toMatchObject({ state: 'progressing', spec: { traffic: { weight: 5 } } });
  });

  it('rejects two rollouts claiming the same host and path', () => {
    const error = errorOf(() => tableWith(spec('a', 10, '/shop'), spec('b', 10, '/shop')));
    expect(error.code).toBe('GRAYLANE_CONFLICT');
  });

  it('get and list read without writing', () => {
    const current = tableWith(spec('a'), spec('b'));
    expect(planCommand('get', { name: 'b' }, current, NOW)).toMatchObject({ kind: 'read', rollouts: [{ name: 'b' }] });
    expect(planCommand('list', {}, current, NOW)).toMatchObject({ kind: 'read' });
  });
});
