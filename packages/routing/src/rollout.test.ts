import fc from 'fast-check';
import { GraylaneError, type RolloutRecordV1, type RuleV1 } from '@graylane/contracts';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, MAX_KEY_UNITS } from './buckets.js';
import { compileRollout } from './rollout.js';
import { facts, record, thrown } from './test-support.js';

const weighted = (weight: number, extra: Partial<RolloutRecordV1['spec']> = {}): ReturnType<typeof compileRollout> =>
  compileRollout(record('checkout', { traffic: { weight }, ...extra }));

const userId = fc.string({ unit: 'binary', minLength: 1, maxLength: 64 });
const points = fc.integer({ min: 0, max: BUCKETS });

describe('compileRollout', () => {
  it('exposes the compiled fields, salt defaulting to the name', () => {
    const rollout = compileRollout(record('checkout', { traffic: { weight: 12.5 }, responseHeaders: true }));
    expect(rollout).toMatchObject({
      name: 'checkout',
      basisPoints: 1250,
      salt: 'checkout',
      responseHeaders: true,
      state: 'progressing',
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
    });
    expect(Object.isFrozen(rollout) && Object.isFrozen(rollout.stable.upstreams)).toBe(true);
  });

  it('rejects weight 12.345 naming the rollout and the field', () => {
    const error = thrown(() => weighted(12.345)) as GraylaneError;
    expect(error).toBeInstanceOf(GraylaneError);
    expect(error.code).toBe('GRAYLANE_VALIDATION');
    expect(error.message).toMatch(/rollout "checkout": spec\.traffic\.weight: invalid weight 12\.345/);
    expect(error.field).toBe('/spec/traffic/weight');
  });

  const rules = (...list: RuleV1[]): Partial<RolloutRecordV1['spec']> => ({ rules: list });
  const beta: RuleV1 = { when: { header: 'x-beta', equals: '1' }, to: 'canary' };

  it('rejects an invalid regex naming the rollout and the rule index', () => {
    const error = thrown(() => compileRollout(record('checkout', rules(beta, { when: { header: 'x-tier', regex: '(gold' }, to: 'canary' })))) as GraylaneError;
    expect(error.code).toBe('GRAYLANE_VALIDATION');
    expect(error.message).toMatch(/^rollout "checkout": spec\.rules\[1\]\.when\.regex: invalid regular expression "\(gold"/);
    expect(error.field).toBe('/spec/rules/1/when/regex');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects a regex with nested repeats, which could stall the proxy', () => {
    const error = thrown(() => compileRollout(record('checkout', rules({ when: { header: 'x-id', regex: '^(a+)+$' }, to: 'canary' })))) as GraylaneError;
    expect(error.message).toMatch(/spec\.rules\[0\]\.when\.regex: regular expression "\^\(a\+\)\+\$" repeats a group/);
  });

  it.each([
    [{ equals: '1' }, /spec\.rules\[0\]\.when: a rule reads exactly one of header, cookie or query; got none/],
    [{ header: 'a', cookie: 'b', equals: '1' }, /reads exactly one of header, cookie or query; got header and cookie/],
    [{ header: 'a' }, /tests exactly one of equals, in or regex; got none/],
    [{ query: 'a', equals: '1', in: ['1'] }, /tests exactly one of equals, in or regex; got equals and in/],
    [{ cookie: 'tier', in: [] }, /spec\.rules\[0\]\.when\.in: lists no values/],
  ])('rejects the rule shape %j', (when, message) => {
    const error = thrown(() => compileRollout(record('checkout', rules({ when, to: 'canary' })))) as GraylaneError;
    expect(error.code).toBe('GRAYLANE_VALIDATION');
    expect(error.message).toMatch(message);
    expect(error.message).toContain('rollout "checkout"');
  });

  it('rejects a sticky key source it cannot read and wildcard hosts', () => {
    expect(() => weighted(10, { traffic: { weight: 10, stickyKey: ['body:uid'] } })).toThrow(/spec\.traffic\.stickyKey\[0\]: invalid sticky key source "body:uid"/);
    expect(() => weighted(10, { match: { hosts: ['*.example.com'] } })).toThrow(/spec\.match\.hosts\[0\]: wildcard host/);
  });
});

describe('decide', () => {
  it('is deterministic: same facts, same decision, across compiles', () => {
    fc.assert(
      fc.property(userId, points, (id, bp) => {
        const request = facts({ headers: { 'x-user-id': id } });
        const first = weighted(bp / 100).decide(request);
        expect(weighted(bp / 100).decide(request)).toEqual(first);
        expect(first).toMatchObject({ side: first.bucket < bp ? 'canary' : 'stable', reason: 'weight', bucket: bucketOf('checkout', id) });
      }),
    );
  });

  it('ramps monotonically: raising the weight never moves a canary user to stable, lowering never the reverse', () => {
    fc.assert(
      fc.property(userId, points, points, (id, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const request = facts({ headers: { 'x-user-id': id } });
        const atLow = weighted(low / 100).decide(request).side;
        const atHigh = weighted(high / 100).decide(request).side;
        if (atLow === 'canary') expect(atHigh).toBe('canary');
        if (atHigh === 'stable') expect(atLow).toBe('stable');
      }),
    );
  });

  it('keeps every canary user on canary across a whole ramp', () => {
    const steps = [0, 0.01, 1, 5, 10, 25, 33.33, 50, 99.99, 100].map((weight) => weighted(weight));
    const requests = Array.from({ length: 5000 }, (_, i) => facts({ headers: { 'x-user-id': `user-${i}` } }));
    let previous = new Set<number>();
    for (const rollout of steps) {
      const canary = new Set(requests.flatMap((request, i) => (rollout.decide(request).side === 'canary' ? [i] : [])));
      for (const user of previous) expect(canary.has(user)).toBe(true);
      previous = canary;
    }
    expect(previous.size).toBe(requests.length);
  });

  it('lets rules win over the weight, first matching rule first', () => {
    const rollout = (weight: number): ReturnType<typeof compileRollout> =>
      weighted(weight, {
        rules: [
          { when: { header: 'X-Beta', equals: '1' }, to: 'canary' },
          { when: { cookie: 'tier', in: ['gold', 'staff'] }, to: 'canary' },
          { when: { query: 'legacy', regex: '^(yes|true)$' }, to: 'stable' },
          { when: { header: 'x-beta', equals: '' }, to: 'stable' },
        ],
      });
    fc.assert(
      fc.property(userId, (id) => {
        const rule = { side: 'canary', reason: 'rule', bucket: -1 };
        expect(rollout(0).decide(facts({ headers: { 'x-user-id': id, 'x-beta': '1' } }))).toMatchObject(rule);
        expect(rollout(0).decide(facts({ headers: { 'x-user-id': id }, cookie: 'tier=staff' }))).toMatchObject(rule);
        expect(rollout(100).decide(facts({ headers: { 'x-user-id': id }, query: { legacy: 'true' } }))).toMatchObject({ ...rule, side: 'stable' });
        expect(rollout(100).decide(facts({ headers: { 'x-user-id': id, 'x-beta': '' } }))).toMatchObject({ ...rule, side: 'stable' });
        expect(rollout(0).decide(facts({ headers: { 'x-beta': '1' }, query: { legacy: 'yes' } })).side).toBe('canary');
      }),
    );
    const noMatch = facts({ headers: { 'x-user-id': 'u1', 'x-beta': '2' }, cookie: 'tier=silver', query: { legacy: 'no, yes' } });
    expect(rollout(100).decide(noMatch)).toMatchObject({ side: 'canary', reason: 'weight' });
  });

  it.each([
    ['aborted', 'stable'],
    ['rolled_back', 'stable'],
    ['promoted', 'canary'],
  ] as const)('state %s overrides rules and weight: everyone on %s', (state, side) => {
    const spec = {
      traffic: { weight: side === 'stable' ? 100 : 0 },
      rules: [{ when: { header: 'x-beta', equals: '1' }, to: side === 'stable' ? 'canary' : 'stable' } satisfies RuleV1],
    };
    const rollout = compileRollout(record('checkout', spec, state));
    fc.assert(
      fc.property(fc.option(userId, { nil: undefined }), fc.boolean(), (id, beta) => {
        const headers: Record<string, string> = beta ? { 'x-beta': '1' } : {};
        if (id !== undefined) headers['x-user-id'] = id;
        expect(rollout.decide(facts({ headers }))).toMatchObject({ side, reason: 'state', bucket: -1 });
      }),
    );
  });

  it('finds listed users the same way in short lists (scanned) and long ones (a Map)', () => {
    const user = fc.string({ unit: fc.constantFrom('a', 'b', '1', '-'), minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(user, { maxLength: 40 }), fc.array(user, { maxLength: 40 }), fc.array(user, { maxLength: 20 }), (allow, deny, asked) => {
        const rollout = compileRollout(record('lists', { traffic: { weight: 50, stickyKey: ['header:x-user-id'] }, users: { allow, deny } }));
        for (const id of [...asked, ...allow, ...deny]) {
          const expected = deny.includes(id) ? 'stable' : allow.includes(id) ? 'canary' : undefined;
          const decision = rollout.decide(facts({ headers: { 'x-user-id': id } }));
          if (expected === undefined) expect(decision.reason).toBe('weight');
          else expect(decision).toMatchObject({ side: expected, reason: 'user-list' });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('routes a paused rollout by its weight as usual', () => {
    const rollout = compileRollout(record('checkout', { traffic: { weight: 100 } }, 'paused'));
    expect(rollout.decide(facts({ headers: { 'x-user-id': 'u1' } }))).toMatchObject({ side: 'canary', reason: 'weight' });
  });

  describe('sticky key', () => {
    const rollout = weighted(50);
    it('takes the first present, non-empty source: header, then cookie, then ip', () => {
      expect(rollout.decide(facts({ headers: { 'x-user-id': 'h' }, cookie: 'uid=c', ip: '10.0.0.1' }))).toMatchObject({ reason: 'weight', bucket: bucketOf('checkout', 'h') });
      expect(rollout.decide(facts({ headers: { 'x-user-id': '' }, cookie: 'uid=c', ip: '10.0.0.1' }))).toMatchObject({ reason: 'weight', bucket: bucketOf('checkout', 'c') });
      expect(rollout.decide(facts({ cookie: 'uid=', ip: '10.0.0.1' }))).toMatchObject({ reason: 'weight', bucket: bucketOf('checkout', '10.0.0.1') });
    });

    it('hashes the client IP with reason no-key when no source is present', () => {
      const custom = weighted(50, { traffic: { weight: 50, stickyKey: ['query:uid', 'header:X-Account'], salt: 'pepper' } });
      expect(custom.decide(facts({ ip: '10.0.0.9' }))).toMatchObject({ reason: 'no-key', bucket: bucketOf('pepper', '10.0.0.9') });
      expect(custom.decide(facts({ query: { uid: 'q' } }))).toMatchObject({ reason: 'weight', bucket: bucketOf('pepper', 'q') });
      expect(custom.decide(facts({ headers: { 'x-account': 'acc' } }))).toMatchObject({ reason: 'weight', bucket: bucketOf('pepper', 'acc') });
    });

    it('cuts keys longer than 256 code units before hashing', () => {
      const huge = 'u'.repeat(MAX_KEY_UNITS) + 'x'.repeat(10_240);
      const decision = rollout.decide(facts({ headers: { 'x-user-id': huge } }));
      expect(decision.bucket).toBe(bucketOf('checkout', 'u'.repeat(MAX_KEY_UNITS)));
      expect(decision.bucket).toBe(bucketOf('checkout', huge));
    });

    it('buckets binary junk and NUL bytes in the user id without throwing, deterministically', () => {
      for (const id of ['\u0000', '\u0000\u0000\u0000', '\ud800', '\udfff\ud800', '\uffff\ufffe', 'a\u0000b']) {
        const decision = rollout.decide(facts({ headers: { 'x-user-id': id } }));
        expect(decision).toMatchObject({ side: decision.bucket < 5000 ? 'canary' : 'stable', reason: 'weight', bucket: bucketOf('checkout', id) });
      }
      fc.assert(
        fc.property(userId, (id) => {
          const { bucket } = rollout.decide(facts({ headers: { 'x-user-id': id } }));
          expect(bucket >= 0 && bucket < BUCKETS).toBe(true);
          expect(rollout.decide(facts({ headers: { 'x-user-id': id } })).bucket).toBe(bucket);
        }),
      );
      expect(bucketOf('checkout', 'a\u0000b')).not.toBe(bucketOf('checkout', 'a\u0000c'));
    });
  });
});

describe('reading headers from the header record', () => {
  // Every header a rollout can read: rules, the sticky key (two headers, the second a fallback) and the region.
  const everything = compileRollout(
    record('checkout', {
      traffic: { weight: 33.33, stickyKey: ['header:X-User-Id', 'header:x-account', 'ip'] },
      rules: [
        { when: { header: 'x-beta', equals: '1' }, to: 'canary' },
        { when: { header: 'X-Tier', in: ['gold', 'staff'] }, to: 'canary' },
        { when: { header: 'user-agent', regex: '^LegacyBot/' }, to: 'stable' },
      ],
      users: { allow: ['tester'], deny: ['vip'] },
      regions: {
        from: { header: 'X-Region', cidrs: { beijing: ['10.0.1.0/24'], shanghai: ['10.0.0.0/8'] } },
        pools: { beijing: { stable: ['http://bj-v1:80'], canary: ['http://bj-v2:80'] }, shanghai: { stable: ['http://sh-v1:80'] } },
      },
    }),
  );
  const headerValue = fc.option(fc.oneof(fc.constantFrom('1', '0', 'gold', 'staff', 'beijing', 'shanghai', 'tester', 'vip', 'LegacyBot/2', ''), fc.string()), { nil: undefined });

  it('decides exactly as reading them one by one through header()', () => {
    fc.assert(
      fc.property(
        fc.record({ 'x-beta': headerValue, 'x-tier': headerValue, 'user-agent': headerValue, 'x-region': headerValue, 'x-user-id': headerValue, 'x-account': headerValue }),
        fc.constantFrom('10.0.1.7', '10.9.9.9', '192.0.2.1'),
        (sent, ip) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(sent)) if (value !== undefined) headers[name] = value;
          const oneByOne = facts({ headers, ip });
          const fromRecord = facts({ headers, ip, headerRecord: true });
          expect(everything.decide(fromRecord)).toEqual(everything.decide(oneByOne));
          expect(everything.stickyKeyOf(fromRecord)).toBe(everything.stickyKeyOf(oneByOne));
        },
      ),
    );
  });

  it('takes the first value of a header Node keeps as an array, as header() does', () => {
    const fromRecord = facts({ headers: { 'x-beta': ['1', '0'] }, headerRecord: true });
    expect(everything.decide(fromRecord)).toMatchObject({ side: 'canary', reason: 'rule' });
    expect(everything.decide(facts({ headers: { 'x-beta': ['0', '1'] }, headerRecord: true }))).not.toMatchObject({ reason: 'rule' });
  });
});
