import fc from 'fast-check';
import type { RolloutRecordV1 } from '@graylane/contracts';
import { GraylaneError } from '@graylane/contracts';
import { describe, expect, it } from 'vitest';
import { BUCKETS } from './buckets.js';
import { compileRollout } from './rollout.js';
import { facts, record, thrown } from './test-support.js';
import type { FoundFacts, Side } from './types.js';

const userId = fc.string({ unit: 'binary', minLength: 1, maxLength: 64 });
const points = fc.integer({ min: 0, max: BUCKETS });
const states: RolloutRecordV1['state'][] = ['progressing', 'paused', 'rolled_back', 'aborted', 'promoted'];

const rollout = (weight: number, state: RolloutRecordV1['state'] = 'progressing', extra: Partial<RolloutRecordV1['spec']> = {}) =>
  compileRollout(record('checkout', { traffic: { weight }, session: { cookie: 'SID', ttl: '30m' }, ...extra }, state));

/** What the proxy found out, with nothing found where `extra` says nothing. */
const found = (extra: Partial<FoundFacts>): FoundFacts => ({ sessionBinding: undefined, override: undefined, listedUser: undefined, ...extra });

describe('session bindings', () => {
  it('keeps a bound session on its side across any weight change', () => {
    fc.assert(
      fc.property(userId, points, points, (id, before, after) => {
        const first = rollout(before / 100).decide(facts({ headers: { 'x-user-id': id } }));
        expect(first.bindable).toBe(true);
        const binding = rollout(before / 100).bindingValue(first.side);
        const later = rollout(after / 100).decide(facts({ headers: { 'x-user-id': id } }), undefined, found({ sessionBinding: binding }));
        expect(later).toMatchObject({ side: first.side, reason: 'session', bindable: false });
      }),
    );
  });

  it('is overridden by a rollback or abort (canary sessions go to stable) and by promote', () => {
    fc.assert(
      fc.property(userId, fc.constantFrom<Side>('stable', 'canary'), fc.constantFrom(...states), (id, bound, state) => {
        const target = rollout(50, state);
        const decision = target.decide(facts({ headers: { 'x-user-id': id } }), undefined, found({ sessionBinding: target.bindingValue(bound) }));
        if (state === 'rolled_back' || state === 'aborted') expect(decision).toMatchObject({ side: 'stable', reason: 'state' });
        else if (state === 'promoted') expect(decision).toMatchObject({ side: 'canary', reason: 'state' });
        else expect(decision).toMatchObject({ side: bound, reason: 'session' });
      }),
    );
  });

  it('ignores a binding made for another canary version, and junk', () => {
    const v3 = compileRollout(record('checkout', { traffic: { weight: 0 }, canary: { name: 'v3', upstreams: ['http://127.0.0.1:9003'] } }));
    for (const junk of ['canary:v2', 'canary', '', '\u0000'.repeat(10_000)]) {
      expect(v3.decide(facts({ headers: { 'x-user-id': 'u1' } }), undefined, found({ sessionBinding: junk }))).toMatchObject({ side: 'stable', reason: 'weight' });
    }
    expect(v3.bindingValue('canary')).toBe('canary:v3');
  });

  it('compiles the session cookie and TTL, refusing a TTL it cannot read', () => {
    expect(rollout(10).session).toEqual({ cookie: 'SID', ttlMs: 1_800_000 });
    expect(compileRollout(record('x')).session).toBeUndefined();
    const error = thrown(() => compileRollout(record('x', { session: { cookie: 'SID', ttl: '0s' } })));
    expect((error as GraylaneError).message).toContain('"0s"');
  });
});

describe('precedence', () => {
  it('rules, overrides and user lists win over sessions and the weight', () => {
    fc.assert(
      fc.property(userId, points, fc.constantFrom<Side>('stable', 'canary'), (id, bp, bound) => {
        const target = rollout(bp / 100, 'progressing', {
          rules: [{ when: { header: 'x-beta', equals: '1' }, to: 'canary' }],
          users: { deny: ['blocked'], allow: ['tester'] },
        });
        const base = facts({ headers: { 'x-user-id': id, 'x-beta': '1' } });
        const binding = target.bindingValue(bound);
        expect(target.decide(base, undefined, found({ sessionBinding: binding }))).toMatchObject({ side: 'canary', reason: 'rule' });
        expect(target.decide(base, undefined, found({ sessionBinding: binding, override: 'stable' }))).toMatchObject({ side: 'stable', reason: 'override' });
        const blocked = facts({ headers: { 'x-user-id': 'blocked' } });
        expect(target.decide(blocked, undefined, found({ sessionBinding: binding }))).toMatchObject({ side: 'stable', reason: 'user-list' });
        expect(target.decide(facts({ headers: { 'x-user-id': 'tester' } }))).toMatchObject({ side: 'canary', reason: 'user-list' });
      }),
    );
  });

  it('lets deny win over allow, from the spec and from Redis sets', () => {
    const target = rollout(100, 'progressing', { users: { allow: ['both'], deny: ['both'], allowSet: 'beta', denySet: 'banned' } });
    expect(target.userSets).toEqual({ allow: 'beta', deny: 'banned' });
    expect(target.decide(facts({ headers: { 'x-user-id': 'both' } }))).toMatchObject({ side: 'stable', reason: 'user-list' });
    const zero = rollout(0);
    expect(zero.decide(facts({ headers: { 'x-user-id': 'a' } }), undefined, found({ listedUser: 'allow' }))).toMatchObject({ side: 'canary', reason: 'user-list' });
    expect(rollout(100).decide(facts({ headers: { 'x-user-id': 'a' } }), undefined, found({ listedUser: 'deny' }))).toMatchObject({ side: 'stable', reason: 'user-list' });
  });

  it('never lets a tester override reach a rolled-back version', () => {
    const target = rollout(50, 'rolled_back');
    expect(target.decide(facts(), undefined, found({ override: 'canary' }))).toMatchObject({ side: 'stable', reason: 'state' });
  });

  it('marks only hash decisions bindable', () => {
    const target = rollout(50, 'progressing', { rules: [{ when: { header: 'x-beta', equals: '1' }, to: 'canary' }] });
    expect(target.decide(facts({ headers: { 'x-user-id': 'u' } })).bindable).toBe(true);
    expect(target.decide(facts()).bindable).toBe(true);
    expect(target.decide(facts({ headers: { 'x-beta': '1' } })).bindable).toBe(false);
  });

  it('does not run a regex over a 10 KB header, and does not crash on it', () => {
    const target = rollout(0, 'progressing', { rules: [{ when: { header: 'x-agent', regex: '^Mozilla' }, to: 'canary' }] });
    expect(target.decide(facts({ headers: { 'x-agent': 'Mozilla' } }))).toMatchObject({ side: 'canary', reason: 'rule' });
    expect(target.decide(facts({ headers: { 'x-agent': `Mozilla${'x'.repeat(10_240)}` } }))).toMatchObject({ side: 'stable', reason: 'weight' });
  });
});
