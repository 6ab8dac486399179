import { GraylaneError } from '@graylane/contracts';
import { describe, expect, it } from 'vitest';
import { CompileSite } from './compile-error.js';
import { CLIENT_IP, COOKIE, HEADER, QUERY } from './fact-source.js';
import { HeaderSlots } from './header-snapshot.js';
import { compileStickyKey } from './sticky-key.js';

const site = new CompileSite('checkout', '');
const compile = (sources: readonly string[] | undefined) => compileStickyKey(sources, site, new HeaderSlots());

describe('compileStickyKey', () => {
  it('reads the sources in order, header names lower-cased, cookie and query names as written', () => {
    expect(compile(['header:X-Account', 'cookie:UID', 'query:Uid', 'ip']).map((source) => [source.kind, source.name])).toEqual([
      [HEADER, 'x-account'],
      [COOKIE, 'UID'],
      [QUERY, 'Uid'],
      [CLIENT_IP, ''],
    ]);
  });

  it('defaults to a user id header, then a cookie, then the IP', () => {
    expect(compile(undefined).map((source) => [source.kind, source.name])).toEqual([
      [HEADER, 'x-user-id'],
      [COOKIE, 'uid'],
      [CLIENT_IP, ''],
    ]);
  });

  it('refuses a source outside the grammar, naming its index and the accepted forms', () => {
    let caught: unknown;
    try {
      compile(['ip', 'header:x-user-id', 'body:uid']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GraylaneError);
    expect((caught as GraylaneError).message).toBe(
      'rollout "checkout": spec.traffic.stickyKey[2]: invalid sticky key source "body:uid": expected header:NAME, cookie:NAME, query:NAME or ip',
    );
    expect((caught as GraylaneError).field).toBe('/spec/traffic/stickyKey/2');
  });

  it('refuses an empty list', () => {
    expect(() => compile([])).toThrow(/spec\.traffic\.stickyKey: must name at least one source/);
  });
});
