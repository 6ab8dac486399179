import { describe, expect, it } from 'vitest';
import { sumJson } from './sum-json.js';

describe('sumJson', () => {
  it('sums counters, nested ones too, across workers', () => {
    const a = { redisLookups: 3, redisErrors: 0, cached: 2, decisions: { weight: 5, rule: 1 } };
    const b = { redisLookups: 4, redisErrors: 2, cached: 1, decisions: { weight: 2, session: 3 } };
    expect(sumJson([a, b])).toEqual({ redisLookups: 7, redisErrors: 2, cached: 3, decisions: { weight: 7, rule: 1, session: 3 } });
  });

  it('keeps the first value of what is not a number', () => {
    expect(sumJson([{ mode: 'x', list: [1] }, { mode: 'y', list: [2] }])).toEqual({ mode: 'x', list: [1] });
  });
});
