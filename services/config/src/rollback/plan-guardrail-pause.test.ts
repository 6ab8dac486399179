import { describe, expect, it } from 'vitest';
import type { GuardrailPauseEventV1, RolloutRecordV1, RoutingTableV1 } from '@graylane/contracts';
import type { CommandPlan, TableAt } from '../plan/plan-core.js';
import { planGuardrailPause } from './plan-guardrail-pause.js';

const NOW = new Date('2026-12-02T08:00:00Z');

function at(record: Partial<RolloutRecordV1> = {}): TableAt {
  const base: RolloutRecordV1 = {
    name: 'shop',
    state: 'progressing',
    updatedAt: '2026-12-02T07:00:00.000Z',
    updatedBy: 'alice',
    spec: {
      match: { pathPrefix: '/' },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:1'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:2'] },
      traffic: { weight: 1 },
      analysis: { onInconclusive: 'pause', inconclusiveLimit: 30 },
    },
    ...record,
  };
  const table: RoutingTableV1 = { schema: 'graylane.routing-table/v1', rollouts: { shop: base } };
  return { table, version: 4 };
}

const event: GuardrailPauseEventV1 = {
  schema: 'graylane.guardrail-pause-event/v1',
  eventId: 'shop:4:1764662400000',
  rollout: 'shop',
  configVersion: 4,
  canaryVersion: 'v2',
  detectedAt: '2026-12-02T07:59:59.000Z',
  inconclusiveWindows: 30,
  reason: 'guardrail could not judge v2 for 30 windows: a pass needs 200 requests per side: 100 windows at 0.2 canary, 19.8 stable req/s',
};

function written(plan: CommandPlan | string): RolloutRecordV1 | undefined {
  if (typeof plan === 'string' || plan.kind !== 'write') throw new Error(`expected a write, got ${JSON.stringify(plan)}`);
  return plan.table.rollouts.shop;
}

describe('planGuardrailPause', () => {
  it('pauses a progressing rollout at its weight, with the traffic seen and needed as the reason', () => {
    const record = written(planGuardrailPause(event, at(), NOW));
    expect(record).toMatchObject({ state: 'paused', spec: { traffic: { weight: 1 } }, updatedBy: 'graylane-analytics', command: 'pause' });
    expect(record?.reason).toMatch(/^guardrail pause shop:4:1764662400000: guardrail could not judge v2 for 30 windows: a pass needs 200/);
  });

  it('changes nothing for a rollout not progressing, another canary, or one resumed since', () => {
    expect(planGuardrailPause(event, at({ state: 'paused' }), NOW)).toBe('not-progressing');
    expect(planGuardrailPause(event, at({ state: 'rolled_back' }), NOW)).toBe('not-progressing');
    expect(planGuardrailPause({ ...event, canaryVersion: 'v1.9' }, at(), NOW)).toBe('stale-canary');
    expect(planGuardrailPause({ ...event, rollout: 'gone' }, at(), NOW)).toBe('unknown-rollout');
    expect(planGuardrailPause(event, at({ command: 'resume', updatedAt: '2026-12-02T08:00:00.000Z' }), NOW)).toBe('resumed-since');
  });
});
