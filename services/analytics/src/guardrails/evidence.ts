import { GUARDRAIL_TESTS, type GuardrailTestName } from '@graylane/contracts';
import { BUCKET_COUNT, bucketValueUs, rankOf } from '@graylane/histogram';
import { msOfUs } from '../latency-ms.js';
import { addWindowEvidence, hypergeometricUpperTail, mixtureEValue, noEvidence, type MarkedCounts } from './statistics.js';

/**
 * The quantile each latency test is about: the pooled quantile's bucket is its threshold (requests
 * above it are marked), and its effect is canary's latency over stable's at that quantile.
 */
export const LATENCY_TEST_QUANTILE: Record<Exclude<GuardrailTestName, 'error-rate'>, number> = { 'latency-median': 0.5, 'latency-tail': 0.99 };

/** One side's traffic in one window: counts and its summed latency histogram. */
export interface SideStats {
  readonly version: string;
  readonly requests: number;
  readonly errors: number;
  /** `[bucket index, count]` of the side's latency histogram, any order. */
  readonly buckets: ReadonlyArray<readonly [number, number]>;
}

/** What one test saw in the newest window, and where its evidence stands since the reset. */
export interface WindowTest {
  readonly test: GuardrailTestName;
  /** This window's counts: canary's share of the marked requests. */
  readonly window: MarkedCounts;
  /** For latency tests: the window's shared threshold (upper edge of the pooled quantile's bucket), ms. */
  readonly thresholdMs: number | null;
  /** Exact one-sided p-value of this window alone (for calibration and display; it decides nothing). */
  readonly windowPValue: number;
  /** Mixture e-value of every window since the reset. */
  readonly eValue: number;
}

/** One side's totals since the evidence began. */
export class SideTotals {
  requests = 0;
  errors = 0;
  /** Requests per histogram bucket. */
  readonly counts = new Float64Array(BUCKET_COUNT);
  private low = BUCKET_COUNT;
  private high = -1;

  /** A copy that shares nothing with this one. */
  clone(): SideTotals {
    const copy = new SideTotals();
    copy.requests = this.requests;
    copy.errors = this.errors;
    copy.counts.set(this.counts);
    copy.low = this.low;
    copy.high = this.high;
    return copy;
  }

  add(side: SideStats): void {
    this.requests += side.requests;
    this.errors += side.errors;
    for (const [bucket, count] of side.buckets) {
      this.counts[bucket] = (this.counts[bucket] ?? 0) + count;
      if (bucket < this.low) this.low = bucket;
      if (bucket > this.high) this.high = bucket;
    }
  }

  /** Latency at quantile `q` in ms (the bucket's representative value), 0 without data. */
  quantileMs(q: number): number {
    let total = 0;
    for (let b = this.low; b <= this.high; b += 1) total += this.counts[b] ?? 0;
    if (total === 0) return 0;
    const rank = rankOf(q, total);
    let seen = 0;
    for (let b = this.low; b <= this.high; b += 1) {
      seen += this.counts[b] ?? 0;
      if (seen >= rank) return msOfUs(bucketValueUs(b));
    }
    return msOfUs(bucketValueUs(this.high));
  }
}

/**
 * Everything the guardrail has learnt about one (stable version, canary version) pair since it
 * began judging it: running e-value sums per test and both sides' totals. Kept across weight
 * changes, because each window's test is conditional on that window's split; reset (a new
 * object) when either version changes. Mutated in place: the bench feeds it millions of windows.
 */
export class Evidence {
  readonly stableVersion: string;
  readonly canaryVersion: string;
  /** End of the first window it holds, Unix ms. */
  readonly sinceMs: number;
  windows = 0;
  /** Windows in a row, up to the newest, that ended with too little traffic to judge. */
  inconclusiveStreak = 0;
  stable = new SideTotals();
  canary = new SideTotals();
  private logProducts: Record<GuardrailTestName, Float64Array> = {
    'latency-median': noEvidence(),
    'latency-tail': noEvidence(),
    'error-rate': noEvidence(),
  };

  constructor(stableVersion: string, canaryVersion: string, sinceMs: number) {
    this.stableVersion = stableVersion;
    this.canaryVersion = canaryVersion;
    this.sinceMs = sinceMs;
  }

  /** A copy that shares nothing with this one, to judge a window that may have to be retried. */
  clone(): Evidence {
    const copy = new Evidence(this.stableVersion, this.canaryVersion, this.sinceMs);
    copy.windows = this.windows;
    copy.inconclusiveStreak = this.inconclusiveStreak;
    copy.stable = this.stable.clone();
    copy.canary = this.canary.clone();
    copy.logProducts = {
      'latency-median': Float64Array.from(this.logProducts['latency-median']),
      'latency-tail': Float64Array.from(this.logProducts['latency-tail']),
      'error-rate': Float64Array.from(this.logProducts['error-rate']),
    };
    return copy;
  }

  /** Adds one window and returns what each test saw in it. */
  addWindow(stable: SideStats, canary: SideStats): WindowTest[] {
    this.windows += 1;
    this.stable.add(stable);
    this.canary.add(canary);
    const pooled = stable.requests + canary.requests;
    const tests: WindowTest[] = [];
    const merged = mergedBuckets(stable.buckets, canary.buckets);
    for (const test of GUARDRAIL_TESTS) {
      let counts: MarkedCounts;
      let thresholdMs: number | null = null;
      if (test === 'error-rate') {
        counts = { pooled, canary: canary.requests, marked: stable.errors + canary.errors, canaryMarked: canary.errors };
      } else {
        const bucket = pooledQuantileBucket(merged, LATENCY_TEST_QUANTILE[test]);
        thresholdMs = bucket < 0 ? null : msOfUs(upperEdgeUs(bucket));
        const canaryMarked = countAbove(canary.buckets, bucket);
        counts = { pooled, canary: canary.requests, marked: canaryMarked + countAbove(stable.buckets, bucket), canaryMarked };
      }
      const sums = this.logProducts[test];
      addWindowEvidence(sums, counts);
      tests.push({ test, window: counts, thresholdMs, windowPValue: hypergeometricUpperTail(counts), eValue: mixtureEValue(sums) });
    }
    return tests;
  }
}

/** Pooled `[bucket, count]` of both sides, ascending by bucket. */
function mergedBuckets(a: SideStats['buckets'], b: SideStats['buckets']): Array<[number, number]> {
  const byBucket = new Map<number, number>();
  for (const [bucket, count] of a) byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + count);
  for (const [bucket, count] of b) byBucket.set(bucket, (byBucket.get(bucket) ?? 0) + count);
  return [...byBucket].sort((x, y) => x[0] - y[0]);
}

/**
 * The bucket holding the pooled quantile `q`; requests in higher buckets are "above". Chosen
 * from both sides together, so under "no difference" it says nothing about which side is which,
 * and ties (a whole bucket) stay on one side of it. -1 without data.
 */
function pooledQuantileBucket(merged: ReadonlyArray<readonly [number, number]>, q: number): number {
  let total = 0;
  for (const [, count] of merged) total += count;
  if (total === 0) return -1;
  const rank = rankOf(q, total);
  let seen = 0;
  for (const [bucket, count] of merged) {
    seen += count;
    if (seen >= rank) return bucket;
  }
  return merged[merged.length - 1]?.[0] ?? -1;
}

function countAbove(buckets: SideStats['buckets'], bucket: number): number {
  let above = 0;
  for (const [index, count] of buckets) if (index > bucket) above += count;
  return above;
}

/** Just above every latency in `bucket`: the next bucket's representative value bounds it. */
function upperEdgeUs(bucket: number): number {
  return bucket + 1 < BUCKET_COUNT ? (bucketValueUs(bucket) + bucketValueUs(bucket + 1)) / 2 : bucketValueUs(bucket);
}
