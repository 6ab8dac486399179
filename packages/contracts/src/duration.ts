/** A duration written as a number and a unit: `250ms`, `10s`, `30m`, `2h`. */
export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h)$';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds in a duration string; throws a RangeError naming the value when malformed.
 */
export function parseDuration(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  const unit = match?.[2];
  if (!match || unit === undefined) {
    throw new RangeError(`invalid duration "${text}": expected a number and a unit (ms, s, m, h), e.g. 30s`);
  }
  return Number(match[1]) * (UNIT_MS[unit] ?? 1);
}
