import { describe, expect, it } from 'vitest';
import type { RolloutRecordV1, VerdictV1, VerdictV2 } from '@graylane/contracts';
import { analysisGate } from './analysis-gate.js';
import { advanceSteps } from './plan-steps.js';

const STEP_START = Date.parse('2026-11-26T12:00:00Z');

function record(analysis: boolean): RolloutRecordV1 {
  return {
    name: 'checkout',
    state: 'progressing',
    updatedAt: '2026-11-26T12:00:00.000Z',
    updatedBy: 'test',
    step: { index: 0, startedAt: new Date(STEP_START).toISOString() },
    spec: {
      match: { pathPrefix: '/checkout' },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:1'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:2'] },
      traffic: { weight: 5 },
      steps: [{ weight: 5, pause: '10s' }, { weight: 50, pause: '10s' }],
      ...(analysis ? { analysis: { minRequests: 100 } } : {}),
    },
  };
}

function verdict(outcome: VerdictV1['outcome'], endOffsetMs: number, reason: string = outcome): VerdictV1 {
  const side = { version: 'v1', requests: 500, errors: 0, errorRate: 0, p99Ms: 10 };
  return {
    rollout: 'checkout',
    configVersion: 3,
    window: { startMs: STEP_START + endOffsetMs - 10_000, endMs: STEP_START + endOffsetMs },
    evaluatedAt: new Date(STEP_START + endOffsetMs).toISOString(),
    outcome,
    breaches: [],
    reason,
    consecutiveFailures: 0,
    action: 'none',
    p99Ratio: 1,
    errorRateIncrease: 0,
    errorPValue: 1,
    stable: side,
    canary: side,
  };
}

/** A verdict of the sequential judge: its outcome is on the evidence since the canary began. */
function verdictV2(outcome: VerdictV2['outcome'], endOffsetMs: number, reason: string = outcome): VerdictV2 {
  return {
    ...verdict(outcome, endOffsetMs, reason),
    schema: 'graylane.verdict/v2',
    action: 'none',
    tests: [],
    evidence: {
      sinceMs: STEP_START - 60_000,
      windows: 8,
      inconclusiveWindows: 0,
      inconclusiveLimit: 30,
      onInconclusive: 'alert',
      falseRollbackBudget: 0.005,
      minRequests: 100,
      canaryRatePerSecond: 5,
      stableRatePerSecond: 45,
      needs: 'a pass needs 100 requests per side',
    },
  };
}

describe('analysisGate', () => {
  it('passes on time alone without analysis, and holds an analysed step until its newest verdict passes', () => {
    expect(analysisGate(record(false), undefined).pass).toBe(true);
    const unanswered = analysisGate(record(true), undefined);
    expect(unanswered.pass).toBe(false);
    expect(unanswered.why).toMatch(/no verdicts/);
    expect(analysisGate(record(true), [])).toMatchObject({ pass: false, why: 'no verdict yet in this step' });
    expect(analysisGate(record(true), [verdict('pass', -1000)])).toMatchObject({ pass: false, why: 'no verdict yet in this step' });
    expect(analysisGate(record(true), [verdict('inconclusive', 5000, 'only 12 requests')])).toMatchObject({
      pass: false,
      why: 'newest verdict is inconclusive: only 12 requests',
    });
    expect(analysisGate(record(true), [verdict('fail', 9000, 'p99 3x')])).toMatchObject({ pass: false, why: 'newest verdict is fail: p99 3x' });
    expect(analysisGate(record(true), [verdict('pass', 9000, 'p99 1.1x'), verdict('inconclusive', 5000)])).toMatchObject({ pass: true });
  });

  it('lets one noisy per-window failure pass once newer evidence passes, but holds on a proven breach', () => {
    // V1 verdicts judged each window alone: an old false fail no longer stalls the step.
    expect(analysisGate(record(true), [verdict('pass', 9000, 'p99 1.1x'), verdict('fail', 5000, 'p99 3x')])).toMatchObject({ pass: true });
    // A V2 fail is proof on the accumulated evidence (kept when `enabled: false` left the canary in).
    const proven = analysisGate(record(true), [verdictV2('pass', 9000), verdictV2('fail', 5000, 'canary worse: latency-median e=2.0e+4')]);
    expect(proven.pass).toBe(false);
    expect(proven.why).toMatch(/proved the canary worse in this step: canary worse: latency-median/);
    expect(analysisGate(record(true), [verdictV2('pass', 9000, 'no proven regression over 8 windows')])).toMatchObject({
      pass: true,
      why: 'analysis passed: no proven regression over 8 windows',
    });
    expect(analysisGate(record(true), [verdictV2('inconclusive', 9000, 'too little traffic')]).pass).toBe(false);
  });

  it('holds the step in advanceSteps when the gate says no', () => {
    const table = { schema: 'graylane.routing-table/v1' as const, rollouts: { checkout: record(true) } };
    const later = new Date(STEP_START + 11_000);
    expect(advanceSteps(table, later, (r) => analysisGate(r, [verdict('inconclusive', 9000)]))).toEqual([]);
    const [moved] = advanceSteps(table, later, (r) => analysisGate(r, [verdict('pass', 9000, 'p99 1.1x')]));
    expect(moved).toMatchObject({ step: { index: 1 }, spec: { traffic: { weight: 50 } } });
    expect(moved?.reason).toMatch(/analysis passed: p99 1.1x/);
  });
});
