import { describe, expect, it } from 'vitest';
import { compileRollout, cookieValue, type PoolHealth, type RequestFacts } from '@graylane/routing';
import { signOverride } from './override-signature.js';
import { newDecisionContext, RequestDecider } from './request-decider.js';

const SECRET = 'tester-secret-0123456789';
const NOW = 1_700_000_000_000;

const rollout = compileRollout({
  name: 'checkout',
  state: 'progressing',
  updatedAt: '2025-01-01T00:00:00.000Z',
  updatedBy: 'test',
  spec: {
    match: {},
    stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
    canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
    traffic: { weight: 0, stickyKey: ['header:x-user-id'] },
    session: { cookie: 'SID', ttl: '30m' },
  },
});

function facts(headers: Record<string, string>): RequestFacts {
  return {
    host: 'shop.example.com',
    path: '/',
    clientIp: '192.0.2.1',
    header: (name) => headers[name],
    cookie: (name) => cookieValue(headers.cookie, name),
    query: () => undefined,
  };
}

describe('RequestDecider without Redis', () => {
  it('honours an override header only when signed with the configured secret', () => {
    const signed = signOverride(SECRET, 'checkout', 'canary', NOW / 1000 + 60);
    const withSecret = new RequestDecider({ overrideSecret: SECRET, now: () => NOW });
    expect(withSecret.decide(rollout, facts({ 'x-graylane-override': signed }), false)).toMatchObject({ side: 'canary', reason: 'override' });
    expect(withSecret.decide(rollout, facts({ 'x-graylane-override': 'canary' }), false)).toMatchObject({ side: 'stable', reason: 'no-key' });
    const withoutSecret = new RequestDecider({ now: () => NOW });
    expect(withoutSecret.decide(rollout, facts({ 'x-graylane-override': signed }), false)).toMatchObject({ side: 'stable' });
    const context = newDecisionContext();
    withSecret.decide(rollout, facts({ 'x-graylane-override': signed }), true, context);
    expect(context.overrideValid).toBe(true);
  });

  it('decides at once without a binding store, counting requests without a sticky key', async () => {
    const decider = new RequestDecider();
    expect(decider.decide(rollout, facts({ cookie: 'SID=abc' }), false)).toMatchObject({ side: 'stable', reason: 'no-key' });
    await expect(decider.lookUp(rollout, facts({ cookie: 'SID=abc' }))).resolves.toBeUndefined();
    expect(decider.reasons['no-key']).toBe(1);
  });

  it('passes pool health to decide()', () => {
    const stableDown: PoolHealth = { isHealthy: (pool) => pool.side !== 'stable' };
    const decider = new RequestDecider({ health: stableDown });
    expect(decider.decide(rollout, facts({ 'x-user-id': 'u' }), false)).toMatchObject({ side: 'canary', reason: 'region-fallback' });
  });
});
