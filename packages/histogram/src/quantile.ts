import { decodeFailure } from './errors.js';
import { bucketValueUs, isBucketIndex } from './layout.js';

// q·count is computed from a q like 0.07 that binary cannot hold exactly: 0.07 * 100 is
// 7.000000000000001, and a plain ceil would report the 8th value as the 7th percentile of 100.
// Shaving a few ulps off (more than the two roundings involved, far less than any real fraction
// of a rank) gives the rank the caller meant.
const RANK_SHAVE = 1 - 4 * Number.EPSILON;

/** Throws a RangeError unless 0 ≤ q ≤ 1; a percentile passed as 99 must not quietly mean the maximum. */
export function checkQuantile(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`q: expected a number 0-1, got ${q}`);
}

/** The 1-based rank of the q-quantile among `count` values: ceil(q·count), at least 1. */
export function rankOf(q: number, count: number): number {
  return Math.min(count, Math.max(1, Math.ceil(q * count * RANK_SHAVE)));
}

/**
 * The q-quantile (µs) of buckets that were already summed elsewhere, e.g. by a ClickHouse
 * `GROUP BY bucket`: the representative value of the bucket holding the element of rank
 * ceil(q·count), rank 1 for q = 0, and 0 when there is nothing. Entries may come in any order and
 * may repeat an index (they are then added up); counts of 0 are ignored.
 * Throws a HistogramDecodeError for an index outside the layout or a count that is not a
 * non-negative integer, and a RangeError for q outside [0, 1].
 */
export function quantileFromEntries(entries: ReadonlyArray<readonly [number, number]>, q: number): number {
  checkQuantile(q);
  let total = 0;
  let ascending = true;
  let previous = -1;
  for (let position = 0; position < entries.length; position += 1) {
    const [index, count] = entries[position]!;
    if (!isBucketIndex(index)) decodeFailure(`entries[${position}][0]`, 'a bucket index of this layout', index);
    if (!Number.isSafeInteger(count) || count < 0) {
      decodeFailure(`entries[${position}][1]`, 'a count, an integer >= 0', count);
    }
    total += count;
    if (index < previous) ascending = false;
    previous = index;
  }
  if (total === 0) return 0;

  const ordered = ascending ? entries : [...entries].sort((a, b) => a[0] - b[0]);
  const rank = rankOf(q, total);
  let seen = 0;
  for (const [index, count] of ordered) {
    seen += count;
    if (seen >= rank) return bucketValueUs(index);
  }
  // Unreachable: rank ≤ total and seen ends at total.
  throw new Error(`quantileFromEntries: rank ${rank} beyond total ${total}`);
}
