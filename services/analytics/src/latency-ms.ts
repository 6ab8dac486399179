import { quantileFromEntries } from '@graylane/histogram';

/**
 * A latency in the milliseconds that reports, series and verdicts carry, from the microseconds
 * the histogram holds. Rounded to the microsecond first: that is all the histogram's bucket
 * values resolve, and more digits would only be noise.
 */
export function msOfUs(us: number): number {
  return Math.round(us) / 1000;
}

/** The q-quantile in ms of `[bucket, count]` entries summed elsewhere (ClickHouse); 0 without any. */
export function quantileMs(entries: ReadonlyArray<readonly [number, number]>, q: number): number {
  return msOfUs(quantileFromEntries(entries, q));
}
