import { describe, expect, it } from 'vitest';
import { checkBearer } from '@graylane/runtime';
import { configApiAuthFrom } from './token-identities.js';

const ALICE = 'alice-token-0123456789';
const CI = 'ci-token-0123456789abc';
const LEGACY = 'legacy-token-0123456789';

describe('configApiAuthFrom', () => {
  it('reads named tokens and the single unnamed one', () => {
    const auth = configApiAuthFrom({ GRAYLANE_CONFIG_TOKENS: `alice:${ALICE}, ci:${CI}`, GRAYLANE_CONFIG_TOKEN: LEGACY });
    expect(auth.tokens.map((t) => t.name)).toEqual(['api-token', 'alice', 'ci']);
    expect(auth.open).toBe(false);
  });

  it('is closed, not open, when no token is set', () => {
    const auth = configApiAuthFrom({});
    expect(auth.tokens).toEqual([]);
    expect(auth.open).toBe(false);
  });

  it('names the variable and never the token on a bad entry', () => {
    expect(() => configApiAuthFrom({ GRAYLANE_CONFIG_TOKENS: `al ice:${ALICE}` })).toThrow(/GRAYLANE_CONFIG_TOKENS: expected entries "name:token"/);
    expect(() => configApiAuthFrom({ GRAYLANE_CONFIG_TOKENS: 'bob:short' })).toThrow('GRAYLANE_CONFIG_TOKENS: the token of "bob" is shorter than 16 characters');
    expect(() => configApiAuthFrom({ GRAYLANE_CONFIG_TOKENS: `a:${ALICE},a:${CI}` })).toThrow(/named twice/);
    expect(() => configApiAuthFrom({ GRAYLANE_CONFIG_TOKENS: `a:${ALICE}`, GRAYLANE_CONFIG_AUTH: 'off' })).toThrow(/GRAYLANE_CONFIG_AUTH/);
  });
});

describe('the named tokens at the door', () => {
  const auth = configApiAuthFrom({ GRAYLANE_CONFIG_TOKENS: `alice:${ALICE}\nci:${CI}` });

  it('names the identity whose token the header carries', () => {
    expect(checkBearer(auth, `Bearer ${CI}`, 'the command API')).toEqual({ name: 'ci' });
    expect(checkBearer(auth, `Bearer ${ALICE}`, 'the command API')).toEqual({ name: 'alice' });
  });

  it('knows nobody for a wrong, partial or missing token', () => {
    for (const header of [`Bearer ${ALICE}x`, ALICE, undefined]) {
      expect(checkBearer(auth, header, 'the command API')).toMatchObject({ code: 'GRAYLANE_UNAUTHORIZED' });
    }
  });
});
