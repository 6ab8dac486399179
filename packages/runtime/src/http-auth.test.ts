import { describe, expect, it } from 'vitest';
import { GraylaneError } from '@graylane/contracts';
import { bindHostFrom } from './bind-host.js';
import { ConfigError } from './env.js';
import { checkBearer, httpAuthFrom, httpAuthOf, openAuthWarning, tokensEqual } from './http-auth.js';

const TOKEN = 'a-token-of-32-characters-0123456';

describe('httpAuthFrom', () => {
  it('is closed by default: no token and no switch refuses every call, naming both variables', () => {
    const auth = httpAuthFrom({}, 'GRAYLANE_ADMIN_TOKEN', 'GRAYLANE_ADMIN_AUTH');
    const outcome = checkBearer(auth, `Bearer ${TOKEN}`, 'moving sessions');
    expect(outcome).toBeInstanceOf(GraylaneError);
    expect((outcome as GraylaneError).code).toBe('GRAYLANE_WRITES_CLOSED');
    expect((outcome as GraylaneError).message).toMatch(/GRAYLANE_ADMIN_TOKEN.*GRAYLANE_ADMIN_AUTH=off/);
  });

  it('opens only when the operator says off, and says so in a warning', () => {
    const auth = httpAuthFrom({ GRAYLANE_ADMIN_AUTH: 'off' }, 'GRAYLANE_ADMIN_TOKEN', 'GRAYLANE_ADMIN_AUTH');
    expect(checkBearer(auth, undefined, 'x')).toEqual({ name: 'open' });
    expect(openAuthWarning(auth, 'x')).toMatch(/GRAYLANE_ADMIN_AUTH=off/);
    expect(openAuthWarning(httpAuthFrom({ T: TOKEN }, 'T', 'S'), 'x')).toBeUndefined();
  });

  it('refuses a short token, an unknown switch and a token together with off, naming the variable', () => {
    expect(() => httpAuthFrom({ T: 'short' }, 'T', 'S')).toThrow(ConfigError);
    expect(() => httpAuthFrom({ T: 'short' }, 'T', 'S')).toThrow(/^T: expected at least 16 characters/);
    expect(() => httpAuthFrom({ S: 'disabled' }, 'T', 'S')).toThrow(/^S: expected "on" or "off"/);
    expect(() => httpAuthFrom({ T: TOKEN, S: 'off' }, 'T', 'S')).toThrow(/^S: is "off" but T is set/);
  });
});

describe('checkBearer', () => {
  const auth = httpAuthFrom({ T: TOKEN }, 'T', 'S');

  it('accepts the token and names it', () => {
    expect(checkBearer(auth, `Bearer ${TOKEN}`, 'x')).toEqual({ name: 'T' });
    expect(checkBearer(auth, `bearer ${TOKEN}`, 'x')).toEqual({ name: 'T' });
  });

  it('refuses a missing, wrong, prefixed or extended token', () => {
    for (const header of [undefined, '', 'Bearer', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
      const outcome = checkBearer(auth, header, 'x');
      expect(outcome, String(header)).toBeInstanceOf(GraylaneError);
      expect((outcome as GraylaneError).code).toBe('GRAYLANE_UNAUTHORIZED');
    }
  });

  it('accepts any of several tokens', () => {
    const two = httpAuthOf([TOKEN, 'another-token-0123456789'], { tokenVariable: 'T' });
    expect(checkBearer(two, 'Bearer another-token-0123456789', 'x')).toEqual({ name: 'T#2' });
  });
});

describe('tokensEqual', () => {
  it('compares by value whatever the lengths', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'a')).toBe(false);
  });
});

describe('bindHostFrom', () => {
  it('is loopback by default and takes an address given on purpose', () => {
    expect(bindHostFrom({}, 'H')).toBe('127.0.0.1');
    expect(bindHostFrom({ H: '0.0.0.0' }, 'H')).toBe('0.0.0.0');
    expect(bindHostFrom({ H: '::' }, 'H')).toBe('::');
    expect(() => bindHostFrom({ H: 'everywhere' }, 'H')).toThrow(/^H: expected an IP address/);
  });
});
