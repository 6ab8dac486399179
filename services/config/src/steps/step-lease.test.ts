import { describe, expect, it } from 'vitest';
import { leaseAction } from './step-lease.js';

describe('leaseAction', () => {
  it('creates a missing lease, renews its own, waits on a live one and takes over an expired one', () => {
    expect(leaseAction(undefined, 'a', 100)).toBe('create');
    expect(leaseAction({ holder: 'a', expiresAtMs: 50 }, 'a', 100)).toBe('renew');
    expect(leaseAction({ holder: 'b', expiresAtMs: 150 }, 'a', 100)).toBe('wait');
    expect(leaseAction({ holder: 'b', expiresAtMs: 100 }, 'a', 100)).toBe('take-over');
  });
});
