import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './args.js';

describe('parseCliArgs', () => {
  it('reads the verb, positionals and flags', () => {
    expect(parseCliArgs(['weight', 'checkout', '30', '--reason', 'ramp', '--json'])).toMatchObject({
      verb: 'weight',
      positionals: ['checkout', '30'],
      reason: 'ramp',
      json: true,
    });
  });

  it('keeps a negative number as a positional so validation can name it', () => {
    expect(parseCliArgs(['weight', 'checkout', '-1']).positionals).toEqual(['checkout', '-1']);
  });

  it('rejects unknown flags and a malformed expected version', () => {
    expect(() => parseCliArgs(['get', 'x', '--colour'])).toThrow(/Unknown option '--colour'/);
    expect(() => parseCliArgs(['weight', 'x', '1', '--expected-version', 'v3'])).toThrow(/--expected-version must be a non-negative integer, got "v3"/);
  });
});
