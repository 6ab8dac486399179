import { describe, expect, it } from 'vitest';
import { signOverride, verifyOverride } from './override-signature.js';

const SECRET = 'a-secret-of-at-least-16-chars';
const NOW = 1_700_000_000_000;
const LATER = NOW / 1000 + 3600;

describe('override signatures', () => {
  it('lets a value signed with the secret force its side for its rollout until it expires', () => {
    const value = signOverride(SECRET, 'checkout', 'canary', LATER);
    expect(verifyOverride(SECRET, 'checkout', value, NOW)).toBe('canary');
    expect(verifyOverride(SECRET, 'checkout', signOverride(SECRET, 'checkout', 'stable', LATER), NOW)).toBe('stable');
    expect(verifyOverride(SECRET, 'checkout', value, LATER * 1000)).toBeUndefined();
  });

  it.each([
    ['another rollout', signOverride(SECRET, 'search', 'canary', LATER)],
    ['another secret', signOverride('another-secret-16-chars', 'checkout', 'canary', LATER)],
    ['a side picked by the client', signOverride(SECRET, 'checkout', 'stable', LATER).replace(/^stable/, 'canary')],
    ['a pushed-back expiry', signOverride(SECRET, 'checkout', 'canary', LATER).replace(String(LATER), String(LATER + 1))],
    ['the bare side', 'canary'],
    ['binary junk', '\u0000\uffff.1.\ud800'],
    ['a 10 KB value', 'canary.1.'.padEnd(10_240, 'a')],
  ])('refuses %s', (_what, value) => {
    expect(verifyOverride(SECRET, 'checkout', value, NOW)).toBeUndefined();
  });
});
