import { describe, expect, it } from 'vitest';
import type { VerdictV2 } from '@graylane/contracts';
import { verdictLines } from './report-verdicts.js';

const side = { version: 'v1', requests: 4500, errors: 4, errorRate: 0.0009, p99Ms: 97.6 };
const verdict: VerdictV2 = {
  schema: 'graylane.verdict/v2',
  rollout: 'shop',
  configVersion: 3,
  window: { startMs: 1_764_662_390_000, endMs: 1_764_662_400_000 },
  evaluatedAt: '2026-12-02T08:00:02.000Z',
  outcome: 'fail',
  breaches: ['error-rate'],
  reason: 'canary worse: error-rate e=4.1e+9 of 600.00, effect +1.02 pt (margin +0.50 pt)',
  consecutiveFailures: 2,
  action: 'rollback',
  p99Ratio: 1,
  errorRateIncrease: 0.0102,
  errorPValue: 1e-9,
  stable: side,
  canary: { ...side, version: 'v2', requests: 1000, errors: 11, errorRate: 0.011 },
  tests: [
    {
      test: 'error-rate',
      statistic: 'window: canary 6 of 9 errors, 0.9 expected if no worse',
      canaryMarked: 6,
      marked: 9,
      canaryRequests: 500,
      pooledRequests: 5000,
      thresholdMs: null,
      windowPValue: 2.1e-5,
      eValue: 4.1e9,
      eThreshold: 600,
      effect: 0.0102,
      effectThreshold: 0.005,
      breached: true,
    },
  ],
  evidence: {
    sinceMs: 1_764_662_380_000,
    windows: 2,
    inconclusiveWindows: 0,
    inconclusiveLimit: 30,
    onInconclusive: 'alert',
    falseRollbackBudget: 0.005,
    minRequests: 200,
    canaryRatePerSecond: 50,
    stableRatePerSecond: 450,
    needs: 'a pass needs 200 requests per side: 1 window at 50.0 canary, 450.0 stable req/s',
  },
};

describe('verdictLines', () => {
  it('prints the newest verdict with each test, its e-value against the threshold, and the traffic needed', () => {
    const text = verdictLines([verdict, { ...verdict, outcome: 'pass', action: 'none' }]).join('\n');
    expect(text).toMatch(/guardrail: 2 verdicts \(1 pass, 1 fail, 0 inconclusive\)/);
    expect(text).toMatch(/FAIL → rollback: canary worse: error-rate/);
    expect(text).toMatch(/false-rollback budget 0.50 % for the whole rollout/);
    expect(text).toMatch(/traffic: a pass needs 200 requests per side: 1 window at 50.0 canary/);
    expect(text).toMatch(/error-rate\s+6\/9 canary of 500\/5000\s+2.1e-5\s+4.1e\+9\s+600.00\s+\+1.02 pt\s+\+0.50 pt\s+yes/);
  });

  it('prints nothing without verdicts, and only the reason of a V1 verdict', () => {
    expect(verdictLines(undefined)).toEqual([]);
    const { schema: _s, tests: _t, evidence: _e, ...v1 } = verdict;
    expect(verdictLines([{ ...v1, action: 'rollback' }])).toHaveLength(3);
  });
});
