/**
 * The bucket layout `loglin-us-1pct/v1`.
 *
 * Every power-of-two range of microseconds [2^e, 2^(e+1)) is cut into 64 equal sub-buckets, for
 * e = 0 … 25. Bucket `i` is [lo(i), lo(i+1)) with lo(i) = 2^(i >> 6) · (1 + (i & 63) / 64); the
 * last one, 1650, is cut at MAX_VALUE_US = 60 s (lo(1651) would be 60.29 s).
 *
 * Why this shape: a bucket index that depends only on the value (not on what was recorded before)
 * is what lets proxies, time windows and ClickHouse rows be summed bucket by bucket. 64 sub-buckets
 * is the smallest power of two that keeps the error under 1 %: with 32 the worst case is 1/65.
 *
 * Error bound: sub-bucket s = i & 63 of an octave spans [lo, hi) with hi = lo · (65 + s)/(64 + s).
 * The representative is the harmonic mean 2·lo·hi / (lo + hi), the one point with the same relative
 * error at both ends, so for any v in [lo, hi) |v − rep| / v ≤ (hi − lo) / (hi + lo) = 1/(129 + 2s),
 * which is largest at s = 0: 1/129 ≈ 0.775 %. We publish 1/128 because it is exact in binary and
 * its slack (6·10⁻⁵) absorbs the rounding of `rep` and of any caller's own check, so a correct
 * value never appears to exceed the bound.
 *
 * Changing any constant here changes what an index means: that needs a new HISTOGRAM_LAYOUT name.
 */

/** Name of this bucket layout; it travels in `EncodedHistogramV1.layout`. */
export const HISTOGRAM_LAYOUT = 'loglin-us-1pct/v1';

/** Upper bound of |bucketValueUs(bucketIndexOf(v)) − v| / v for v in [MIN_VALUE_US, MAX_VALUE_US]. */
export const MAX_RELATIVE_ERROR = 1 / 128;

/** Smallest value (µs) recorded without clamping. */
export const MIN_VALUE_US = 1;

/** Largest value (µs) recorded without clamping: one minute. */
export const MAX_VALUE_US = 60_000_000;

const SUB_BUCKET_BITS = 6;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;

// A positive double's high 32-bit word is 1 sign bit, 11 exponent bits, then the top 20 mantissa
// bits. Shifting out all but 6 mantissa bits leaves (biased exponent << 6 | sub-bucket), which is
// the bucket index up to a constant: exact at every edge and monotonic because positive doubles
// order like their bit patterns. That is one store and one load per record, no Math.log.
const MANTISSA_SHIFT = 20 - SUB_BUCKET_BITS;
const FIRST_KEY = 1023 << SUB_BUCKET_BITS; // the key of 1.0, so that MIN_VALUE_US lands in bucket 0

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
scratch[0] = 1;
const HIGH_WORD = scratchWords[1] === 0x3ff0_0000 ? 1 : 0; // endianness of this machine

function indexInRange(valueUs: number): number {
  scratch[0] = valueUs;
  return (scratchWords[HIGH_WORD]! >>> MANTISSA_SHIFT) - FIRST_KEY;
}

const LAST_INDEX = indexInRange(MAX_VALUE_US);

/** Number of buckets in the layout (1651); every index fits a ClickHouse UInt16. */
export const BUCKET_COUNT = LAST_INDEX + 1;

/**
 * The bucket of a latency in microseconds. Values below MIN_VALUE_US, negative values, NaN and
 * ±Infinity go to the first bucket; values at or above MAX_VALUE_US go to the last.
 */
export function bucketIndexOf(valueUs: number): number {
  if (!(valueUs >= MIN_VALUE_US)) return 0;
  // Infinity is a broken measurement rather than a slow request, so it must not inflate the tail.
  if (valueUs >= MAX_VALUE_US) return valueUs === Infinity ? 0 : LAST_INDEX;
  return indexInRange(valueUs);
}

function lowerBoundUs(index: number): number {
  const octaveStart = 2 ** (index >> SUB_BUCKET_BITS);
  return (octaveStart / SUB_BUCKETS) * (SUB_BUCKETS + (index & (SUB_BUCKETS - 1)));
}

const REPRESENTATIVE_US = new Float64Array(BUCKET_COUNT);
for (let index = 0; index < BUCKET_COUNT; index += 1) {
  const lo = lowerBoundUs(index);
  // The last bucket ends at MAX_VALUE_US rather than at its octave edge (≈ 60.29 s), so that no
  // representative lies beyond the range and clamped values read as "about a minute".
  const hi = Math.min(lowerBoundUs(index + 1), MAX_VALUE_US);
  REPRESENTATIVE_US[index] = (2 * lo * hi) / (lo + hi);
}

/**
 * The value (µs) that stands for a bucket: within MAX_RELATIVE_ERROR of every value the bucket
 * holds. Throws a RangeError for anything but an integer in [0, BUCKET_COUNT).
 */
export function bucketValueUs(index: number): number {
  const value = Number.isInteger(index) ? REPRESENTATIVE_US[index] : undefined;
  if (value === undefined) {
    throw new RangeError(`bucket index: expected an integer 0-${LAST_INDEX}, got ${String(index)}`);
  }
  return value;
}

/** Whether `index` names a bucket of this layout. */
export function isBucketIndex(index: unknown): index is number {
  return Number.isInteger(index) && (index as number) >= 0 && (index as number) <= LAST_INDEX;
}
