import { describe, expect, it } from 'vitest';
import { identityOfBearer, tokenIdentitiesFrom } from './token-identities.js';

const ALICE = 'alice-token-0123456789';
const CI = 'ci-token-0123456789abc';

describe('tokenIdentitiesFrom', () => {
  it('reads named tokens and the single unnamed one', () => {
    const ids = tokenIdentitiesFrom({ GRAYLANE_CONFIG_TOKENS: `alice:${ALICE}, ci:${CI}`, GRAYLANE_CONFIG_TOKEN: 'legacy' });
    expect(ids.map((i) => i.name)).toEqual(['api-token', 'alice', 'ci']);
    expect(JSON.stringify(ids)).not.toContain(ALICE);
  });

  it('names the variable and never the token on a bad entry', () => {
    expect(() => tokenIdentitiesFrom({ GRAYLANE_CONFIG_TOKENS: `al ice:${ALICE}` })).toThrow(/GRAYLANE_CONFIG_TOKENS: expected entries "name:token"/);
    expect(() => tokenIdentitiesFrom({ GRAYLANE_CONFIG_TOKENS: 'bob:short' })).toThrow('GRAYLANE_CONFIG_TOKENS: the token of "bob" is shorter than 16 characters');
    expect(() => tokenIdentitiesFrom({ GRAYLANE_CONFIG_TOKENS: `a:${ALICE},a:${CI}` })).toThrow(/named twice/);
  });
});

describe('identityOfBearer', () => {
  const ids = tokenIdentitiesFrom({ GRAYLANE_CONFIG_TOKENS: `alice:${ALICE}\nci:${CI}` });

  it('names the identity whose token the header carries', () => {
    expect(identityOfBearer(`Bearer ${CI}`, ids)).toBe('ci');
    expect(identityOfBearer(`Bearer ${ALICE}`, ids)).toBe('alice');
  });

  it('knows nobody for a wrong, partial or missing token', () => {
    expect(identityOfBearer(`Bearer ${ALICE}x`, ids)).toBeUndefined();
    expect(identityOfBearer(ALICE, ids)).toBeUndefined();
    expect(identityOfBearer(undefined, ids)).toBeUndefined();
  });
});
