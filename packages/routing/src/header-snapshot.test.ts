import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeaderSlots, interpretedSnapshot, type HeaderRecord } from './header-snapshot.js';

/** Header names that would break naive code generation, beside ordinary ones. */
const AWKWARD = ['x-user-id', 'x-"quoted"', "x-'single'", 'x-back\\slash', 'x-line\u2028sep', '${x}', '`tick`', '__proto__', 'constructor', ']); throw 1; ([', 'ümlaut'];

function slotsOf(names: readonly string[]): HeaderSlots {
  const slots = new HeaderSlots();
  for (const name of names) slots.slotOf(name);
  return slots;
}

describe('HeaderSlots', () => {
  it('gives each distinct name one slot, in first-seen order', () => {
    const slots = new HeaderSlots();
    expect([slots.slotOf('x-beta'), slots.slotOf('x-region'), slots.slotOf('x-beta')]).toEqual([0, 1, 0]);
    expect(slots.compile()!({ 'x-beta': '1', 'x-region': 'bj' })).toEqual(['1', 'bj']);
  });

  it('compiles to nothing when the rollout reads no header', () => {
    expect(new HeaderSlots().compile()).toBeUndefined();
  });

  it('reads what header() would: the value, the first of an array, undefined when absent', () => {
    const snapshot = slotsOf(['x-beta', 'set-cookie', 'x-absent']).compile()!;
    expect(snapshot({ 'x-beta': '1', 'set-cookie': ['a=1', 'b=2'] })).toEqual(['1', 'a=1', undefined]);
  });

  it("reads a name inherited from Object.prototype (as in Node's header record) as absent", () => {
    const snapshot = slotsOf(['constructor', '__proto__', 'tostring', 'toString']).compile()!;
    expect(snapshot({ tostring: 'sent' })).toEqual([undefined, undefined, 'sent', undefined]);
  });

  it('treats names as data: quotes, backslashes, line separators and code-like names are read literally', () => {
    const record: Record<string, string> = Object.create(null) as Record<string, string>;
    AWKWARD.forEach((name, index) => (record[name] = `value-${index}`));
    const snapshot = slotsOf(AWKWARD).compile()!;
    expect(snapshot(record)).toEqual(AWKWARD.map((_, index) => `value-${index}`));
  });

  it('agrees with the interpreted reads on any names and records', () => {
    const name = fc.oneof(fc.constantFrom(...AWKWARD), fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }));
    const value = fc.option(fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 })), { nil: undefined });
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 8 }), fc.array(value, { minLength: 8, maxLength: 8 }), (names, values) => {
        const record: Record<string, string | string[] | undefined> = {};
        names.forEach((header, index) => {
          if (values[index] !== undefined) record[header] = values[index];
        });
        const headers: HeaderRecord = record;
        expect(slotsOf(names).compile()!(headers)).toEqual(interpretedSnapshot(names)(headers));
      }),
    );
  });
});
