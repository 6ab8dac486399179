import { describe, expect, it } from 'vitest';
import { emptyRoutingTable, type RolloutRecordV1 } from '@graylane/contracts';
import { promoted, recordOf, stamped, writePlan, type TableAt } from './plan-core.js';
import { errorOf } from '../test-support/graylane-error.js';

const NOW = new Date('2026-12-02T11:00:00Z');

const RECORD: RolloutRecordV1 = {
  name: 'checkout',
  state: 'progressing',
  updatedAt: '2026-12-02T10:00:00.000Z',
  updatedBy: 'ana',
  command: 'apply',
  reason: 'release 42',
  step: { index: 1, startedAt: '2026-12-02T10:00:00.000Z' },
  spec: {
    match: { pathPrefix: '/checkout' },
    stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
    canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
    traffic: { weight: 10 },
    steps: [{ weight: 5, pause: '1m' }, { weight: 10 }],
  },
};

const AT: TableAt = { table: { ...emptyRoutingTable(), rollouts: { checkout: RECORD } }, version: 3 };

describe('stamped', () => {
  it('records who, when and which verb, and a change without a reason clears the old one', () => {
    expect(stamped(RECORD, 'pause', { actor: 'bo', reason: 'lunch' }, NOW)).toMatchObject({
      updatedAt: NOW.toISOString(),
      updatedBy: 'bo',
      command: 'pause',
      reason: 'lunch',
    });
    const bare = stamped(RECORD, 'resume', {}, NOW);
    expect(bare).toMatchObject({ updatedBy: 'unknown', command: 'resume' });
    expect(bare).not.toHaveProperty('reason');
  });
});

describe('promoted', () => {
  it('makes the canary the stable at weight 0 and ends the steps', () => {
    const record = promoted(RECORD, NOW, { actor: 'bo' }, 'promote');
    expect(record).toMatchObject({ state: 'promoted', command: 'promote', spec: { stable: { name: 'v2' }, traffic: { weight: 0 } } });
    expect(record).not.toHaveProperty('step');
  });
});

describe('recordOf', () => {
  it('names the known rollouts when the one asked for is missing', () => {
    expect(recordOf(AT.table, 'checkout')).toBe(RECORD);
    const error = errorOf(() => recordOf(AT.table, 'search'));
    expect([error.code, error.field, error.message]).toEqual(['GRAYLANE_NOT_FOUND', '/name', 'no rollout named "search"; known: checkout']);
  });
});

describe('writePlan', () => {
  it('puts records in, takes names out and records the change', () => {
    const plan = writePlan(AT, [{ ...RECORD, name: 'search', spec: { ...RECORD.spec, match: { pathPrefix: '/search' } } }], ['checkout'], 'apply', { actor: 'ana' }, NOW);
    if (plan.kind !== 'write') throw new Error('expected a write');
    expect(Object.keys(plan.table.rollouts)).toEqual(['search']);
    expect(plan.table.lastChange).toEqual({ command: 'apply', actor: 'ana', at: NOW.toISOString() });
    expect(plan.meta).toEqual({ verb: 'apply', actor: 'ana', reason: undefined, activateAt: undefined });
  });

  it('refuses a stale expected version before anything else', () => {
    const error = errorOf(() => writePlan(AT, [], [], 'weight', { expectedVersion: 2 }, NOW));
    expect([error.code, error.field]).toEqual(['GRAYLANE_VERSION_CONFLICT', '/expectedVersion']);
  });

  it('compiles the new table, so a weight finer than one bucket is never stored, whichever planner made it', () => {
    const finer = { ...RECORD, spec: { ...RECORD.spec, traffic: { weight: 0.001 } } };
    const error = errorOf(() => writePlan(AT, [finer], [], 'step', { actor: 'graylane-step-driver' }, NOW));
    expect([error.code, error.field]).toEqual(['GRAYLANE_VALIDATION', '/rollouts/checkout/spec/traffic/weight']);
  });
});
