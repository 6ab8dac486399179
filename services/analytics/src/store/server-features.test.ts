import { describe, expect, it } from 'vitest';
import { featuresOf } from './server-features.js';

describe('featuresOf', () => {
  it.each([
    ['18.16.1', false],
    ['19.17.4.11', false],
    ['20.3.1', true],
    ['26.7.3.1', true],
    ['not a version', false],
  ])('%s: TTL and LowCardinality %s', (version, current) => {
    expect(featuresOf(version)).toEqual({ version, ttl: current, lowCardinality: current });
  });
});
