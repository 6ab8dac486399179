// The traffic model of `pnpm bench:judge`: a seeded RNG, Poisson counts, and latency
// distributions turned into probabilities per bucket of the histogram layout the proxy uses.
import { BUCKET_COUNT, bucketIndexOf } from '@graylane/histogram';
import { logGamma } from '@graylane/analytics/judge';

/** sfc32: small, fast, seeded, good enough for simulation (passes PractRand to 2^40+). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i += 1) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Poisson(mean): inversion below 10, Hörmann's PTRS above (as numpy does). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean < 10) {
      const limit = Math.exp(-mean);
      let k = 0;
      let product = this.next();
      while (product > limit) {
        k += 1;
        product *= this.next();
      }
      return k;
    }
    const slam = Math.sqrt(mean);
    const loglam = Math.log(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.next() - 0.5;
      const v = this.next();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) return k;
    }
  }
}

/** Standard normal CDF (erfc with fractional error < 1.2e-7, so bucket tails stay right). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** CDF of a latency in microseconds. */
export type LatencyCdf = (us: number) => number;

/** The model: 99 % lognormal(median 20 ms, σ 0.5) + 1 % lognormal(median 200 ms, σ 0.5). */
export const BASE_LATENCY: LatencyCdf = (us) =>
  us <= 0 ? 0 : 0.99 * normalCdf(Math.log(us / 20_000) / 0.5) + 0.01 * normalCdf(Math.log(us / 200_000) / 0.5);

/** Every latency `factor` times slower. */
export function slowerWhole(cdf: LatencyCdf, factor: number): LatencyCdf {
  return (us) => cdf(us / factor);
}

/**
 * Only the slowest 2 % (above stable's P98) `factor` times slower: the P99 becomes exactly
 * `factor` times stable's, the median and the body do not move.
 */
export function slowerTail(cdf: LatencyCdf, factor: number): LatencyCdf {
  const q98 = quantileOf(cdf, 0.98);
  return (us) => (us < q98 ? cdf(us) : us < factor * q98 ? 0.98 : cdf(us / factor));
}

/** The `q` quantile of `cdf`, by bisection on a log scale. */
export function quantileOf(cdf: LatencyCdf, q: number): number {
  let lo = 1;
  let hi = 60_000_000;
  for (let i = 0; i < 200; i += 1) {
    const mid = Math.sqrt(lo * hi);
    if (cdf(mid) < q) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Lower edge (µs) of every bucket, found once by bisection on `bucketIndexOf`. */
const LOWER_EDGE_US: Float64Array = (() => {
  const edges = new Float64Array(BUCKET_COUNT + 1);
  edges[BUCKET_COUNT] = Infinity;
  for (let b = 1; b < BUCKET_COUNT; b += 1) {
    let lo = 0;
    let hi = 60_000_000;
    for (let i = 0; i < 80; i += 1) {
      const mid = (lo + hi) / 2;
      if (bucketIndexOf(mid) < b) lo = mid;
      else hi = mid;
    }
    edges[b] = hi;
  }
  return edges;
})();

/**
 * A latency distribution as the proxy's histogram sees it: probability per bucket, and an alias
 * table to draw single requests in O(1).
 */
export class BucketDistribution {
  /** Buckets with non-negligible probability, ascending. */
  readonly buckets: Int32Array;
  readonly probabilities: Float64Array;
  private readonly alias: Int32Array;
  private readonly accept: Float64Array;

  constructor(cdf: LatencyCdf) {
    const buckets: number[] = [];
    const probabilities: number[] = [];
    for (let b = 0; b < BUCKET_COUNT; b += 1) {
      const p = cdf(LOWER_EDGE_US[b + 1] ?? Infinity) - cdf(LOWER_EDGE_US[b] ?? 0);
      if (p > 1e-12) {
        buckets.push(b);
        probabilities.push(p);
      }
    }
    const total = probabilities.reduce((a, b) => a + b, 0);
    this.buckets = Int32Array.from(buckets);
    this.probabilities = Float64Array.from(probabilities, (p) => p / total);
    // Vose's alias method.
    const n = this.probabilities.length;
    this.alias = new Int32Array(n);
    this.accept = new Float64Array(n);
    const scaled = Array.from(this.probabilities, (p) => p * n);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() ?? 0;
      const l = large.pop() ?? 0;
      this.accept[s] = scaled[s] ?? 0;
      this.alias[s] = l;
      scaled[l] = (scaled[l] ?? 0) + (scaled[s] ?? 0) - 1;
      ((scaled[l] ?? 0) < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) this.accept[i] = 1;
  }

  /**
   * Bucket counts of a Poisson(mean) number of requests: independent Poisson counts per bucket
   * (exact for Poisson traffic), drawn per request when that is cheaper. `counts` is indexed like
   * `buckets` and overwritten; returns the number of requests.
   */
  sample(rng: Rng, mean: number, counts: Float64Array): number {
    counts.fill(0);
    const n = this.buckets.length;
    if (mean < n) {
      const requests = rng.poisson(mean);
      for (let r = 0; r < requests; r += 1) {
        const u = rng.next() * n;
        const i = Math.floor(u);
        const slot = u - i < (this.accept[i] ?? 1) ? i : (this.alias[i] ?? i);
        counts[slot] = (counts[slot] ?? 0) + 1;
      }
      return requests;
    }
    let requests = 0;
    for (let i = 0; i < n; i += 1) {
      const k = rng.poisson(mean * (this.probabilities[i] ?? 0));
      counts[i] = k;
      requests += k;
    }
    return requests;
  }
}
