import { describe, expect, it } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import { compileTable } from '@graylane/routing';
import { originsNamedBy, RetirementPlan } from './retirement-plan.js';

const settings = { settleMs: 100, graceMs: 1000 };
const idle = (): number => 0;

function table(stable: string[], canary: string[], regions?: RoutingTableV1['rollouts'][string]['spec']['regions']): RoutingTableV1 {
  return {
    schema: 'graylane.routing-table/v1',
    rollouts: {
      shop: {
        name: 'shop',
        state: 'progressing',
        updatedAt: '2026-11-26T12:00:00.000Z',
        updatedBy: 'test',
        spec: { match: { pathPrefix: '/' }, stable: { name: 'v1', upstreams: stable }, canary: { name: 'v2', upstreams: canary }, traffic: { weight: 10 }, ...(regions === undefined ? {} : { regions }) },
      },
    },
  };
}

describe('originsNamedBy', () => {
  it('names the origins of the stable, canary and every region pool, once each, without paths', () => {
    const compiled = compileTable(
      table(['http://10.0.0.1:8080/base', 'http://10.0.0.2:8080'], ['http://10.0.0.3:8080'], {
        from: { header: 'x-region', cidrs: {} },
        pools: { beijing: { stable: ['http://10.1.0.1:80', 'http://10.0.0.1:8080/other'], canary: ['https://bj-v2.example'] } },
        fallback: [],
      }),
      7,
    );
    expect([...originsNamedBy(compiled)].sort()).toEqual(['http://10.0.0.1:8080', 'http://10.0.0.2:8080', 'http://10.0.0.3:8080', 'http://10.1.0.1', 'https://bj-v2.example']);
  });
});

describe('RetirementPlan', () => {
  const X = 'http://x:80';
  const Y = 'http://y:80';
  const Z = 'http://z:80';

  it('retires an origin the new table dropped once it is idle and settled, and keeps the one still named', () => {
    const plan = new RetirementPlan(settings);
    plan.tableApplied(new Set([X, Y]), 0);
    plan.tableApplied(new Set([Y, Z]), 1000);
    expect(plan.waiting).toBe(1);
    // Idle at once, but a request routed on the old table may still retry onto it: wait to settle.
    expect(plan.due(1050, idle)).toEqual([]);
    expect(plan.due(1100, idle)).toEqual([X]);
    expect(plan.waiting).toBe(0);
    expect(plan.due(5000, idle)).toEqual([]);
  });

  it('waits for requests in flight to the origin, and retires it anyway after the grace period', () => {
    const plan = new RetirementPlan(settings);
    plan.tableApplied(new Set([X, Y]), 0);
    plan.tableApplied(new Set([Y]), 0);
    const busy = (origin: string): number => (origin === X ? 2 : 0);
    expect(plan.due(500, busy)).toEqual([]);
    expect(plan.due(999, busy)).toEqual([]);
    expect(plan.due(1000, busy)).toEqual([X]);
  });

  it('keeps an origin named again before it was retired, and counts the grace from when it last left', () => {
    const plan = new RetirementPlan(settings);
    plan.tableApplied(new Set([X]), 0);
    plan.tableApplied(new Set([Y]), 0);
    plan.tableApplied(new Set([X, Y]), 50);
    expect(plan.waiting).toBe(0);
    expect(plan.due(2000, idle)).toEqual([]);
    plan.tableApplied(new Set([Y]), 3000);
    expect(plan.due(3050, idle)).toEqual([]);
    expect(plan.due(3100, idle)).toEqual([X]);
  });

  it('retires an origin again after it came back and left again', () => {
    const plan = new RetirementPlan(settings);
    plan.tableApplied(new Set([X]), 0);
    plan.tableApplied(new Set([Z]), 0);
    expect(plan.due(100, idle)).toEqual([X]);
    plan.tableApplied(new Set([X, Z]), 200);
    plan.tableApplied(new Set([Z]), 300);
    expect(plan.due(400, idle)).toEqual([X]);
  });

  it('does not restart the clock of an origin still leaving when another table also omits it', () => {
    const plan = new RetirementPlan(settings);
    plan.tableApplied(new Set([X, Y]), 0);
    plan.tableApplied(new Set([Y]), 0);
    plan.tableApplied(new Set([Y, Z]), 900);
    expect(plan.due(1000, () => 1)).toEqual([X]);
  });

  it('retires nothing on the first table or when a table keeps every origin', () => {
    const plan = new RetirementPlan(settings);
    plan.tableApplied(new Set([X, Y]), 0);
    plan.tableApplied(new Set([Y, X, Z]), 10);
    expect(plan.waiting).toBe(0);
    expect(plan.due(10_000, idle)).toEqual([]);
  });

  it('names the origins that arrive: new ones and ones back after retirement, not ones kept while leaving', () => {
    const plan = new RetirementPlan(settings);
    expect(plan.tableApplied(new Set([X, Y]), 0)).toEqual([X, Y]);
    expect(plan.tableApplied(new Set([Y]), 0)).toEqual([]);
    // Named again while still leaving: kept, with its pool and health, so it does not arrive.
    expect(plan.tableApplied(new Set([X, Y]), 50)).toEqual([]);
    expect(plan.tableApplied(new Set([Y]), 100)).toEqual([]);
    expect(plan.due(5000, idle)).toEqual([X]);
    // Back after it was retired: it arrives, and starts fresh.
    expect(plan.tableApplied(new Set([X, Y, Z]), 6000)).toEqual([X, Z]);
  });
});
