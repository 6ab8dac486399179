import { describe, expect, it } from 'vitest';
import { parseStickyKeySource, StickyKeySource, STICKY_KEY_SOURCE_FORMS, validationIssues } from './index.js';

describe('sticky-key sources', () => {
  it.each([
    ['ip', { kind: 'ip' }],
    ['header:X-User-Id', { kind: 'header', name: 'X-User-Id' }],
    ['cookie:uid', { kind: 'cookie', name: 'uid' }],
    ['query:a.b_c-9', { kind: 'query', name: 'a.b_c-9' }],
    [`header:${'h'.repeat(128)}`, { kind: 'header', name: 'h'.repeat(128) }],
  ])('parses %s, keeping the name as written', (text, parts) => {
    expect(parseStickyKeySource(text)).toEqual(parts);
  });

  it.each(['', 'IP', 'ip:x', 'body:uid', 'header:', 'header', 'cookie:a b', 'query:ü', ` ip`, `header:${'h'.repeat(129)}`, 'header:x\n'])(
    'refuses %j',
    (text) => {
      expect(parseStickyKeySource(text)).toBeUndefined();
    },
  );

  it('accepts in the spec schema exactly what it parses', () => {
    for (const text of ['ip', 'header:x-user-id', 'cookie:uid', 'query:q', 'body:uid', 'header:', 'ip:x', 'cookie:a b', `query:${'q'.repeat(129)}`]) {
      expect(validationIssues(StickyKeySource, text).length === 0).toBe(parseStickyKeySource(text) !== undefined);
    }
  });

  it('words the accepted forms for error messages', () => {
    expect(STICKY_KEY_SOURCE_FORMS).toBe('header:NAME, cookie:NAME, query:NAME or ip');
  });
});
