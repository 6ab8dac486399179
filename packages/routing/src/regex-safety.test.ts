import { describe, expect, it } from 'vitest';
import { hasNestedRepeat } from './regex-safety.js';

describe('hasNestedRepeat', () => {
  it.each(['(a+)+', '(\\w*)*', '(x+y){2,}', '(?:a+)*', '^(a|b+)+$', '((ab)+c)*', '(a{2,})+', '(\\d+,)*\\d+'])(
    'flags %s',
    (pattern) => {
      expect(hasNestedRepeat(pattern)).toBe(true);
    },
  );

  it.each(['a+b*', '(ab)+', '(a+)?', '(a+){2,5}', '[(+)]+', '\\(a+\\)+', '^beta-[0-9]+$', '(a{2,5})+', '^(gold|staff)$', ''])(
    'accepts %s',
    (pattern) => {
      expect(hasNestedRepeat(pattern)).toBe(false);
    },
  );
});
