import { GraylaneError } from '@graylane/contracts';
import { absorb, hashFrom, INITIAL_STATE, type HashState } from './hash.js';

/** Users are split into this many buckets: one bucket is 0.01 % of traffic. */
export const BUCKETS = 10_000;

/**
 * Sticky keys longer than this many UTF-16 code units are hashed on their first ones only, so a
 * 10 KB header costs no more than a user id.
 */
export const MAX_KEY_UNITS = 256;

const TWO_POW_32 = 4_294_967_296;

/** The hash state after `${salt}:`, which every key of a rollout starts from. */
export function saltState(salt: string): HashState {
  return absorb(INITIAL_STATE, `${salt}:`);
}

/**
 * The bucket of a key behind a precomputed salt state. Multiply-shift (h·10000 / 2³², exact in
 * a double since h·10000 < 2⁵³) uses every bit of the hash, unlike a modulo that reads the low
 * ones; each bucket receives 429 496 or 429 497 of the 2³² hash values, a bias of 2·10⁻⁶.
 */
export function bucketFrom(state: HashState, key: string): number {
  return Math.floor((hashFrom(state, key, MAX_KEY_UNITS) * BUCKETS) / TWO_POW_32);
}

/**
 * The bucket in [0, 10000) of `key` for a rollout salted with `salt`: MurmurHash3 (x86_32) of
 * `${salt}:${key}` as UTF-16LE, with the key cut to its first {@link MAX_KEY_UNITS} code units as
 * a decision does, so this answers "which bucket is this user in" exactly.
 */
export function bucketOf(salt: string, key: string): number {
  return bucketFrom(saltState(salt), key);
}

/**
 * Basis points (0–10000) for a canary weight in percent with at most two decimals, or undefined
 * when the weight is not one.
 */
export function basisPointsOrUndefined(percent: number): number | undefined {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) return undefined;
  // A two-decimal weight is the double nearest to its decimal text, so it survives the round trip.
  if (Number(percent.toFixed(2)) !== percent) return undefined;
  return Math.round(percent * 100) | 0;
}

/**
 * Basis points for a canary weight given in percent: 10 → 1000, 0.01 → 1. Throws a
 * GRAYLANE_VALIDATION error naming the value for NaN, a value outside 0–100, or more than two
 * decimals, since the split cannot be finer than one of {@link BUCKETS} buckets.
 */
export function weightToBasisPoints(percent: number): number {
  const points = basisPointsOrUndefined(percent);
  if (points === undefined) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `invalid weight ${String(percent)}: ${weightProblem(percent)}`, {
      field: '/weight',
    });
  }
  return points;
}

/** Why a weight was refused, for messages. */
export function weightProblem(percent: number): string {
  if (Number.isNaN(percent)) return 'expected a number of percent from 0 to 100';
  if (percent < 0 || percent > 100) return 'expected a percent from 0 to 100';
  return 'a weight has at most two decimals (one bucket is 0.01 %)';
}

/**
 * Whether a user in `bucket` is on canary at `basisPoints`. Canary is the bottom of the bucket
 * range, so raising the weight only adds users to canary and lowering it only removes them.
 */
export function inCanary(bucket: number, basisPoints: number): boolean {
  return bucket < basisPoints;
}
