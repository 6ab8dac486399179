import { bucketIndexOf } from '@graylane/histogram';
import { describe, expect, it } from 'vitest';
import { Evidence, effectiveRatio, GUARDRAIL_DEFAULTS, judge, settingsOf, type SideStats } from './judge.js';

/** A side whose histogram holds `latenciesMs`, with `errors` of them errors. */
function side(version: string, latenciesMs: readonly number[], errors = 0): SideStats {
  const counts = new Map<number, number>();
  for (const ms of latenciesMs) {
    const bucket = bucketIndexOf(ms * 1000);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return { version, requests: latenciesMs.length, errors, buckets: [...counts] };
}

/** `n` latencies with a deterministic spread: 10 ms body, 1 % tail up to `tailMs`; `offset` shifts the spread. */
function spread(n: number, bodyMs = 10, tailMs = 40, factor = 1, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => {
    const u = (((i * 7919 + offset) % n) + 0.5) / n;
    const ms = u < 0.98 ? bodyMs * (0.5 + u / 2) : bodyMs + (tailMs - bodyMs) * ((u - 0.98) / 0.02);
    return ms * factor;
  });
}

const settings = settingsOf({ minRequests: 200 });

describe('judge', () => {
  it('fails a canary three times slower in the first window, naming test, e-value, threshold and effect', () => {
    const evidence = new Evidence('v1', 'v2', 0);
    const verdict = judge(settings, evidence, side('v1', spread(2000)), side('v2', spread(400, 10, 40, 3)));
    expect(verdict.outcome).toBe('fail');
    expect(verdict.breaches).toEqual(['p99-ratio']);
    const median = verdict.tests.find((t) => t.test === 'latency-median');
    expect(median).toMatchObject({ breached: true, canaryRequests: 400, pooledRequests: 2400, eThreshold: 1200 });
    expect(median!.eValue).toBeGreaterThan(1200);
    expect(median!.windowPValue).toBeLessThan(1e-10);
    expect(median!.effect).toBeGreaterThan(2.5);
    expect(median!.statistic).toMatch(/^window: canary 400 of \d+ above [\d.]+ ms, [\d.]+ expected if no worse$/);
    expect(verdict.reason).toMatch(/^canary worse: latency-median e=[\d.e+]+ of 1.2e\+3, effect [\d.]+x \(bar 1.20x\)/);
  });

  it('passes identical sides however many windows it sees, and never fails a slowdown below the margin', () => {
    const same = new Evidence('v1', 'v2', 0);
    const slightly = new Evidence('v1', 'v2', 0);
    for (let w = 0; w < 50; w += 1) {
      expect(judge(settings, same, side('v1', spread(2000, 10, 40, 1, w)), side('v2', spread(400, 10, 40, 1, w + 1))).outcome).toBe('pass');
      // 1.1x is real here, and after a few windows proven (e-value above the bar), but below 1.2x.
      expect(judge(settings, slightly, side('v1', spread(2000)), side('v2', spread(400, 10, 40, 1.1))).outcome).toBe('pass');
    }
    expect(judge(settings, slightly, side('v1', spread(2000)), side('v2', spread(400, 10, 40, 1.1))).tests[0]!.eValue).toBeGreaterThan(1200);
  });

  it('accumulates windows too small alone: inconclusive until each side has minRequests, then judged', () => {
    const evidence = new Evidence('v1', 'v2', 0);
    const outcomes = Array.from({ length: 4 }, () => judge(settings, evidence, side('v1', spread(500)), side('v2', spread(60))));
    expect(outcomes.map((o) => o.outcome)).toEqual(['inconclusive', 'inconclusive', 'inconclusive', 'pass']);
    expect(outcomes[2]!.inconclusiveStreak).toBe(3);
    expect(outcomes[3]!.inconclusiveStreak).toBe(0);
    expect(outcomes[0]!.reason).toMatch(/^too little traffic: 1 windows: canary 60 requests, stable 500; a pass needs 200 requests per side: 4 windows at 6.0 canary, 50.0 stable req\/s$/);
    expect(outcomes[3]!.canary.requests).toBe(240);
  });

  it('tests errors against no increase, exactly, and fails only above the margin', () => {
    const errors = (rate: number, n: number): SideStats => ({ ...side('v', spread(n)), errors: Math.round(rate * n) });
    const clear = judge(settings, new Evidence('v1', 'v2', 0), errors(0.001, 5000), errors(0.03, 1000));
    expect(clear.outcome).toBe('fail');
    expect(clear.breaches).toEqual(['error-rate']);
    const test = clear.tests.find((t) => t.test === 'error-rate');
    expect(test).toMatchObject({ canaryMarked: 30, marked: 35, breached: true, effectThreshold: 0.005 });
    expect(test!.effect).toBeCloseTo(0.029, 6);
    expect(clear.errorPValue).toBeLessThan(1e-10);
    // Proven, but 0.3 points is under a 0.5 point margin: a minimum effect, not the null.
    const small = settingsOf({ minRequests: 200 });
    const evidence = new Evidence('v1', 'v2', 0);
    let last = judge(small, evidence, errors(0.001, 50_000), errors(0.004, 50_000));
    for (let w = 0; w < 5; w += 1) last = judge(small, evidence, errors(0.001, 50_000), errors(0.004, 50_000));
    const smallTest = last.tests.find((t) => t.test === 'error-rate');
    expect(smallTest!.eValue).toBeGreaterThan(1200);
    expect(last.outcome).toBe('pass');
  });

  it('does not hide a fast service behind the absolute floor, and shows the effective ratio', () => {
    // P99 3.2 ms doubled: the old 5 ms floor made the bar 2.56x.
    const verdict = judge(settings, new Evidence('v1', 'v2', 0), side('v1', spread(4000, 1.6, 3.2)), side('v2', spread(1000, 1.6, 3.2, 2)));
    expect(verdict.outcome).toBe('fail');
    const tail = verdict.tests.find((t) => t.test === 'latency-tail');
    expect(verdict.stable.p99Ms).toBeLessThan(3.2);
    expect(tail!.effectThreshold).toBeCloseTo(effectiveRatio(settings, verdict.stable.p99Ms), 9);
    expect(tail!.effectThreshold).toBeLessThan(1.5);
    expect(effectiveRatio(GUARDRAIL_DEFAULTS, 3.2)).toBeCloseTo(1.3125, 6);
    expect(effectiveRatio(GUARDRAIL_DEFAULTS, 100)).toBe(1.2);
    // 2 ms against 1 ms at the median of a 1 ms service: the floor makes the bar 2x, so no failure.
    expect(judge(settings, new Evidence('v1', 'v2', 0), side('v1', spread(2000, 1, 1)), side('v2', spread(400, 1.9, 1.9))).outcome).toBe('pass');
  });

  it('fills defaults, reads the V2 policy fields, and ignores consecutiveFailures', () => {
    expect(settingsOf({})).toEqual(GUARDRAIL_DEFAULTS);
    expect(settingsOf({ inconclusiveLimit: 5, onInconclusive: 'pause', consecutiveFailures: 9, interval: '30s' })).toMatchObject({
      inconclusiveLimit: 5,
      onInconclusive: 'pause',
      intervalMs: 30_000,
    });
  });
});
