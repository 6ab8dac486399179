import { bucketIndexOf } from '@graylane/histogram';
import { describe, expect, it } from 'vitest';
import { GUARDRAIL_DEFAULTS, judge, nextStreak, settingsOf, type SideStats } from './judge.js';
import { errorIncreasePValue, normalUpperTail } from './statistics.js';

/** A side whose histogram holds `latenciesMs`, with `errors` of them errors. */
function side(version: string, latenciesMs: readonly number[], errors = 0): SideStats {
  const counts = new Map<number, number>();
  for (const ms of latenciesMs) {
    const bucket = bucketIndexOf(ms * 1000);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return { version, requests: latenciesMs.length, errors, buckets: [...counts] };
}

/** `n` latencies with a deterministic spread: 10 ms body, 1 % tail up to `tailMs`. */
function spread(n: number, bodyMs = 10, tailMs = 40, factor = 1): number[] {
  return Array.from({ length: n }, (_, i) => {
    const u = ((i * 7919) % n) / n;
    const ms = u < 0.98 ? bodyMs * (0.5 + u / 2) : bodyMs + (tailMs - bodyMs) * ((u - 0.98) / 0.02);
    return ms * factor;
  });
}

const settings = settingsOf({ minRequests: 200, maxP99Ratio: 1.5, maxErrorRateIncrease: 0.01 });

describe('judge', () => {
  it('fails a canary three times slower at P99, naming both P99s', () => {
    const verdict = judge(settings, side('v1', spread(2000)), side('v2', spread(2000, 10, 40, 3)));
    expect(verdict.outcome).toBe('fail');
    expect(verdict.breaches).toEqual(['p99-ratio']);
    expect(verdict.p99Ratio).toBeGreaterThan(2.5);
    expect(verdict.reason).toMatch(/canary p99 [\d.]+ ms is [\d.]+x stable [\d.]+ ms/);
    expect(verdict.canary).toMatchObject({ version: 'v2', requests: 2000 });
  });

  it('passes a canary 10 % slower', () => {
    const verdict = judge(settings, side('v1', spread(2000)), side('v2', spread(400, 10, 40, 1.1)));
    expect(verdict.outcome).toBe('pass');
    expect(verdict.breaches).toEqual([]);
  });

  it('is inconclusive with too little traffic on either side, however bad the canary looks', () => {
    expect(judge(settings, side('v1', spread(2000)), side('v2', spread(199, 10, 40, 10))).outcome).toBe('inconclusive');
    const verdict = judge(settings, side('v1', spread(50)), side('v2', spread(400, 10, 40, 10), 400));
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toBe('too little traffic: stable 50, canary 400 requests, need 200 per side');
  });

  it('does not fail 2 ms against 1 ms: the absolute floor', () => {
    const verdict = judge(settings, side('v1', spread(2000, 0.5, 1)), side('v2', spread(400, 1, 2)));
    expect(verdict.p99Ratio).toBeGreaterThan(1.5);
    expect(verdict.outcome).toBe('pass');
  });

  it('does not fail on a few slow requests that are not significant', () => {
    // 4 of 300 canary requests at 100 ms: the P99 is beyond the ratio, but 1.3 % above it is
    // close to the 1 % any side shows above its own P99 by definition.
    const canary = [...spread(296), 100, 100, 100, 100];
    const verdict = judge(settings, side('v1', spread(2000)), side('v2', canary));
    expect(verdict.canary.p99Ms).toBeGreaterThan(verdict.stable.p99Ms * 1.5);
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).toMatch(/not significant/);
  });

  it('fails a significant error-rate increase and passes one within noise', () => {
    const bad = judge(settings, side('v1', spread(2000), 10), side('v2', spread(1000), 60));
    expect(bad.outcome).toBe('fail');
    expect(bad.breaches).toEqual(['error-rate']);
    expect(bad.errorRateIncrease).toBeCloseTo(0.055, 10);
    // 2 % against 0.5 % on 200 requests: above the allowed 1 % increase, but 4 errors prove little.
    const noisy = judge(settings, side('v1', spread(2000), 10), side('v2', spread(200), 4));
    expect(noisy.errorRateIncrease).toBeGreaterThan(0.01);
    expect(noisy.outcome).toBe('pass');
  });

  it('reports both breaches together', () => {
    const verdict = judge(settings, side('v1', spread(2000)), side('v2', spread(1000, 10, 40, 4), 200));
    expect(verdict.breaches).toEqual(['p99-ratio', 'error-rate']);
  });
});

describe('settingsOf', () => {
  it('fills defaults and reads durations', () => {
    expect(settingsOf({})).toEqual(GUARDRAIL_DEFAULTS);
    expect(settingsOf({ interval: '5s', consecutiveFailures: 3, enabled: false })).toMatchObject({
      intervalMs: 5_000,
      consecutiveFailures: 3,
      enabled: false,
    });
  });
});

describe('nextStreak', () => {
  it('counts failures, resets on a pass, and keeps the streak through inconclusive windows', () => {
    let streak = 0;
    const seen = (['fail', 'inconclusive', 'fail', 'pass', 'fail'] as const).map((outcome) => (streak = nextStreak(streak, outcome)));
    expect(seen).toEqual([1, 1, 2, 0, 1]);
  });
});

describe('statistics', () => {
  it('normal tail matches known values', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 6);
    expect(normalUpperTail(1.959964)).toBeCloseTo(0.025, 5);
    expect(normalUpperTail(-2.326348)).toBeCloseTo(0.99, 5);
  });
  it('two-proportion test against the margin: no errors is no evidence; a big gap on big samples is', () => {
    expect(errorIncreasePValue(0, 1000, 0, 1000, 0.01)).toBe(1);
    expect(errorIncreasePValue(0, 1000, 1000, 1000, 0.01)).toBe(0);
    expect(errorIncreasePValue(10, 1000, 80, 1000, 0.01)).toBeLessThan(1e-6);
    expect(errorIncreasePValue(50, 1000, 10, 1000, 0.01)).toBeGreaterThan(0.99);
  });
});
