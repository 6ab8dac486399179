import { describe, expect, it } from 'vitest';
import { emptyRoutingTable, GraylaneError, type RolloutSpecV1 } from '@graylane/contracts';
import { planCommand, type TableAt } from './plan-command.js';

const NOW = new Date('2026-11-26T12:00:00Z');

function spec(name: string, weight = 10, pathPrefix = `/${name}`): RolloutSpecV1 {
  return {
    apiVersion: 'graylane.dev/v1',
    kind: 'Rollout',
    metadata: { name },
    spec: {
      match: { pathPrefix },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
      traffic: { weight },
    },
  };
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

function errorOf(run: () => unknown): GraylaneError {
  try {
    run();
  } catch (error) {
    if (error instanceof GraylaneError) return error;
    throw error;
  }
  throw new Error('expected a GraylaneError');
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
