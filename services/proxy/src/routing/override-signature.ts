import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Side } from '@graylane/routing';

/** The header a tester sends to force a version: `<side>.<expires unix seconds>.<hex HMAC>`. */
export const OVERRIDE_HEADER = 'x-graylane-override';

/** Longest header value considered; anything longer is not a signature we issued. */
const MAX_VALUE_LENGTH = 128;

function mac(secret: string, rollout: string, side: Side, expires: number): string {
  return createHmac('sha256', secret).update(`${rollout}.${side}.${expires}`).digest('hex');
}

/**
 * A signed override value for `rollout` that forces `side` until `expiresAtSeconds`. The rollout
 * name is signed so a value for one rollout does not unlock another, the expiry so a leaked value
 * stops working. Shell equivalent:
 * `printf '%s' "checkout.canary.$EXP" | openssl dgst -sha256 -hmac "$SECRET" -hex`.
 */
export function signOverride(secret: string, rollout: string, side: Side, expiresAtSeconds: number): string {
  return `${side}.${expiresAtSeconds}.${mac(secret, rollout, side, expiresAtSeconds)}`;
}

/**
 * The side a header value forces, or undefined when it is absent, malformed, expired or not
 * signed with `secret` for `rollout`. Compares in constant time, so the signature cannot be
 * guessed byte by byte from response times.
 */
export function verifyOverride(secret: string, rollout: string, value: string | undefined, nowMs: number): Side | undefined {
  if (value === undefined || value.length > MAX_VALUE_LENGTH) return undefined;
  const [side, expiresText, signature, extra] = value.split('.');
  if (extra !== undefined || (side !== 'stable' && side !== 'canary') || expiresText === undefined || signature === undefined) return undefined;
  if (!/^\d{1,12}$/.test(expiresText)) return undefined;
  const expires = Number(expiresText);
  if (expires * 1000 <= nowMs) return undefined;
  const expected = Buffer.from(mac(secret, rollout, side, expires), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return side;
}
