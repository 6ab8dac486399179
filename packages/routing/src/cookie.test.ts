import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cookieValue, cookieValueStart, lastCookieValueEnd } from './cookie.js';

describe('cookieValue', () => {
  it.each([
    ['uid=42', '42'],
    ['a=1; uid=42; b=2', '42'],
    ['a=1;uid=42;b=2', '42'],
    ['  uid = 42  ; b=2', '42'],
    ['uid="quoted value"', 'quoted value'],
    ['uid=first; uid=second', 'first'],
    ['xuid=1; uid2=2; uid=3', '3'],
    ['uid=', ''],
    ['uid=a=b', 'a=b'],
    [';;; junk ; uid=7 ;;', '7'],
    ['uid%3D=1; uid=ok%20x', 'ok%20x'],
  ])('reads uid from %j as %j', (header, value) => {
    expect(cookieValue(header, 'uid')).toBe(value);
  });

  it.each([undefined, '', 'uid', 'uid2=1', 'xuid=1', ';;;;', 'a=1; b=2', 'UID=1'])('finds no uid in %j', (header) => {
    expect(cookieValue(header, 'uid')).toBeUndefined();
  });

  it('finds every cookie of a header it is given', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    const value = fc.stringMatching(/^[A-Za-z0-9%._-]{0,20}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, minLength: 1, maxLength: 8 }), fc.nat(), (pairs, pick) => {
        const header = pairs.map(([n, v]) => `${n}=${v}`).join('; ');
        const [n, v] = pairs[pick % pairs.length]!;
        expect(cookieValue(header, n)).toBe(v);
      }),
    );
  });

  it('reads the same value as a pair-by-pair scan, on headers made of the characters that matter', () => {
    const text = (maxLength: number) => fc.string({ unit: fc.constantFrom(';', '=', ' ', '\t', '"', 'u', 'i', 'd', 'x', '1'), maxLength });
    fc.assert(
      fc.property(text(40), text(5), (header, name) => {
        expect(cookieValue(header, name)).toBe(pairByPair(header, name));
      }),
      { numRuns: 5000 },
    );
  });

  it('places the value where cookieValue reads it, for any header and name', () => {
    const text = (maxLength: number) => fc.string({ unit: fc.constantFrom(';', '=', ' ', '\t', '"', 'u', 'i', 'd', 'x', '1', 'é'), maxLength });
    fc.assert(
      fc.property(fc.oneof(text(60), fc.string({ unit: 'binary', maxLength: 80 })), text(5), (header, name) => {
        const start = cookieValueStart(header, name);
        const inPlace = start < 0 ? undefined : header.slice(start, lastCookieValueEnd());
        expect(inPlace).toBe(cookieValue(header, name));
        expect(inPlace).toBe(pairByPair(header, name));
      }),
      { numRuns: 5000 },
    );
    expect(cookieValueStart(undefined, 'uid')).toBe(-1);
  });

  it('never throws on junk, NUL bytes included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 8 }), (header, name) => {
        const value = cookieValue(header, name);
        expect(value === undefined || typeof value === 'string').toBe(true);
      }),
    );
  });

  describe('on 10 KB headers', () => {
    const tenKb = (unit: string): string => unit.repeat(Math.ceil(10_240 / unit.length));
    it.each([
      ['many small cookies, uid last', `${tenKb('a=b; ')}uid=last`, 'last'],
      ['only separators', tenKb(';'), undefined],
      ['the name repeated without =', tenKb('uid'), undefined],
      ['the name repeated as pairs without =', tenKb('uid;'), undefined],
      ['one huge value', `uid=${tenKb('x')}`, 'x'.repeat(10_240)],
      ['NUL bytes and high code units', `${tenKb('\u0000\uffff;=')}; uid=1`, '1'],
    ])('%s: reads it in bounded time', (_label, header, expected) => {
      expect(cookieValue(header, 'uid')).toBe(expected);
      const started = performance.now();
      for (let i = 0; i < 200; i++) cookieValue(header, 'uid');
      // One linear pass is well under a millisecond here; a quadratic scan would take seconds.
      expect(performance.now() - started).toBeLessThan(1500);
    });
  });
});

/** The straightforward reading of the format, kept as the oracle of the faster search. */
function pairByPair(header: string, name: string): string | undefined {
  if (name.length === 0) return undefined;
  for (const pair of header.split(';')) {
    const trimmed = pair.replace(/^[ \t]+/, '');
    if (!trimmed.startsWith(name)) continue;
    const rest = trimmed.slice(name.length).replace(/^[ \t]+/, '');
    if (!rest.startsWith('=')) continue;
    const value = rest.slice(1).replace(/^[ \t]+|[ \t]+$/g, '');
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}
