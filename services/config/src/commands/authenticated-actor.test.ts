import { describe, expect, it } from 'vitest';
import { withAuthenticatedActor } from './command-service.js';

describe('withAuthenticatedActor', () => {
  it('records the caller, whatever actor the body claims, and keeps the claim beside it', () => {
    expect(withAuthenticatedActor('weight', { name: 'r', weight: 5, actor: 'bob', reason: 'why' }, { actor: 'alice' })).toEqual({
      name: 'r',
      weight: 5,
      actor: 'alice',
      reason: 'why (requested actor "bob")',
    });
    expect(withAuthenticatedActor('abort', { name: 'r', actor: 'bob' }, { actor: 'alice' })).toEqual({ name: 'r', actor: 'alice', reason: 'requested actor "bob"' });
  });

  it('adds no note when the claim is the caller, and leaves reads alone', () => {
    expect(withAuthenticatedActor('pause', { name: 'r', actor: 'alice' }, { actor: 'alice' })).toEqual({ name: 'r', actor: 'alice' });
    expect(withAuthenticatedActor('get', { name: 'r' }, { actor: 'alice' })).toEqual({ name: 'r' });
  });
});
