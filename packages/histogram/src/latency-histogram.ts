import type { EncodedHistogramV1 } from '@graylane/contracts';
import { decodeFailure } from './errors.js';
import { BUCKET_COUNT, bucketIndexOf, bucketValueUs, HISTOGRAM_LAYOUT, isBucketIndex } from './layout.js';
import { checkQuantile, rankOf } from './quantile.js';

/**
 * Counts of latencies per bucket of the `loglin-us-1pct/v1` layout. Recording costs one bucket
 * lookup and one add; two histograms merge by adding counts, so per-proxy, per-second histograms
 * sum into exactly the histogram of all their values.
 */
export class LatencyHistogram {
  // Float64 rather than Uint32: counts summed over many proxies and windows pass 2^32, and a
  // double counts exactly up to 2^53.
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;

  /** Counts one latency in microseconds; out-of-range values clamp as in `bucketIndexOf`. */
  record(valueUs: number): void {
    this.counts[bucketIndexOf(valueUs)]! += 1;
    this.total += 1;
  }

  /** Counts the same latency `times` times; throws a RangeError unless `times` is an integer ≥ 0. */
  recordMany(valueUs: number, times: number): void {
    if (!Number.isSafeInteger(times) || times < 0) {
      throw new RangeError(`times: expected an integer >= 0, got ${times}`);
    }
    this.counts[bucketIndexOf(valueUs)]! += times;
    this.total += times;
  }

  /** Adds every count of `other` into this histogram; `other` is left unchanged. */
  merge(other: LatencyHistogram): void {
    const counts = this.counts;
    const theirs = other.counts;
    for (let index = 0; index < BUCKET_COUNT; index += 1) counts[index]! += theirs[index]!;
    this.total += other.total;
  }

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /**
   * The q-quantile in microseconds, q in [0, 1]: the representative value of the bucket holding
   * the value of rank ceil(q·count) (rank 1 for q = 0), so within MAX_RELATIVE_ERROR of the exact
   * order statistic. 0 when empty. Throws a RangeError for q outside [0, 1].
   */
  quantileUs(q: number): number {
    checkQuantile(q);
    if (this.total === 0) return 0;
    const rank = rankOf(q, this.total);
    const counts = this.counts;
    let seen = 0;
    let index = 0;
    for (; index < BUCKET_COUNT - 1; index += 1) {
      seen += counts[index]!;
      if (seen >= rank) break;
    }
    return bucketValueUs(index);
  }

  /** The non-empty buckets as [index, count] pairs, by ascending index. */
  entries(): Array<[index: number, count: number]> {
    const result: Array<[number, number]> = [];
    const counts = this.counts;
    for (let index = 0; index < BUCKET_COUNT; index += 1) {
      const count = counts[index]!;
      if (count > 0) result.push([index, count]);
    }
    return result;
  }

  /** The wire form, `{ layout, buckets }`, for `MetricSeriesV1.latency`. */
  encode(): EncodedHistogramV1 {
    return { layout: HISTOGRAM_LAYOUT, buckets: this.entries() };
  }

  /**
   * Reads the wire form back. Strict, since it comes from another process: throws a
   * HistogramDecodeError naming the field for a layout other than HISTOGRAM_LAYOUT, buckets that
   * are not an array of [index, count] pairs, an index that is not an integer of this layout, a
   * count that is not an integer ≥ 1, or indexes that are not strictly ascending.
   */
  static decode(encoded: unknown): LatencyHistogram {
    if (typeof encoded !== 'object' || encoded === null || Array.isArray(encoded)) {
      decodeFailure('histogram', 'an object { layout, buckets }', encoded);
    }
    const { layout, buckets } = encoded as { layout?: unknown; buckets?: unknown };
    if (layout !== HISTOGRAM_LAYOUT) decodeFailure('layout', JSON.stringify(HISTOGRAM_LAYOUT), layout);
    if (!Array.isArray(buckets)) decodeFailure('buckets', 'an array of [index, count] pairs', buckets);

    const histogram = new LatencyHistogram();
    let previous = -1;
    for (let position = 0; position < buckets.length; position += 1) {
      const pair: unknown = buckets[position];
      if (!Array.isArray(pair) || pair.length !== 2) {
        decodeFailure(`buckets[${position}]`, 'an [index, count] pair', pair);
      }
      const [index, count] = pair as [unknown, unknown];
      if (!isBucketIndex(index)) {
        decodeFailure(`buckets[${position}][0]`, `a bucket index, an integer 0-${BUCKET_COUNT - 1}`, index);
      }
      if (index <= previous) {
        decodeFailure(`buckets[${position}][0]`, `an index above the previous one (${previous})`, index);
      }
      if (!Number.isSafeInteger(count) || (count as number) < 1) {
        decodeFailure(`buckets[${position}][1]`, 'a count, an integer >= 1', count);
      }
      histogram.counts[index] = count as number;
      histogram.total += count as number;
      previous = index;
    }
    return histogram;
  }

  /**
   * A histogram from [index, count] pairs, e.g. rows read back from ClickHouse. Unlike `decode`
   * it accepts any order and repeated indexes (their counts add up) and ignores counts of 0.
   * Throws a HistogramDecodeError for an index outside the layout or a count that is not an
   * integer ≥ 0.
   */
  static fromEntries(entries: Iterable<readonly [number, number]>): LatencyHistogram {
    const histogram = new LatencyHistogram();
    let position = 0;
    for (const [index, count] of entries) {
      if (!isBucketIndex(index)) {
        decodeFailure(`entries[${position}][0]`, `a bucket index, an integer 0-${BUCKET_COUNT - 1}`, index);
      }
      if (!Number.isSafeInteger(count) || count < 0) {
        decodeFailure(`entries[${position}][1]`, 'a count, an integer >= 0', count);
      }
      histogram.counts[index]! += count;
      histogram.total += count;
      position += 1;
    }
    return histogram;
  }

  /** Forgets every value, keeping the allocated buckets for the next window. */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** Whether nothing was recorded. */
  isEmpty(): boolean {
    return this.total === 0;
  }
}
