import type { MatchConditionV1, RuleV1 } from '@graylane/contracts';
import { CompileSite, shown } from './compile-error.js';
import { COOKIE, FactSource, HEADER, QUERY } from './fact-source.js';
import type { HeaderSlots, HeaderValues } from './header-snapshot.js';
import { hasNestedRepeat } from './regex-safety.js';
import type { RequestFacts, Side } from './types.js';

/** Values longer than this many code units never match a regex rule (they can still match `equals`/`in`). */
export const MAX_REGEX_INPUT = 1024;

const SOURCES = ['header', 'cookie', 'query'] as const;
const TESTS = ['equals', 'in', 'regex'] as const;

/** One rule compiled: the fact it reads, the one test it applies, and the decision it yields. */
export class CompiledRule {
  constructor(
    readonly source: FactSource,
    private readonly equals: string | undefined,
    private readonly values: ReadonlySet<string> | undefined,
    private readonly regex: RegExp | undefined,
    /** where a matching request goes */
    readonly side: Side,
  ) {
    Object.freeze(this);
  }

  /** Whether the request has the fact and it passes the test; an absent fact never matches. */
  matches(facts: RequestFacts, values?: HeaderValues): boolean {
    const value = this.source.read(facts, values);
    if (value === undefined) return false;
    if (this.equals !== undefined) return value === this.equals;
    if (this.values !== undefined) return this.values.has(value);
    // A longer value never matches a regex: a 10 KB header must not cost a regex scan per request.
    return this.regex !== undefined && value.length <= MAX_REGEX_INPUT && this.regex.test(value);
  }
}

/** The rules of a rollout in order; throws naming the rule index for any shape but one source and one test. */
export function compileRules(rules: readonly RuleV1[] | undefined, site: CompileSite, slots: HeaderSlots): readonly CompiledRule[] {
  if (rules === undefined) return Object.freeze([]);
  return Object.freeze(rules.map((rule, index) => compileRule(rule, index, site, slots)));
}

function compileRule(rule: RuleV1, index: number, site: CompileSite, slots: HeaderSlots): CompiledRule {
  const when: MatchConditionV1 = rule.when;
  const path = ['spec', 'rules', index, 'when'] as const;
  const sources = SOURCES.filter((key) => when[key] !== undefined);
  const tests = TESTS.filter((key) => when[key] !== undefined);
  if (sources.length !== 1) {
    throw site.error('GRAYLANE_VALIDATION', path, shapeProblem(sources, 'header, cookie or query', 'reads'));
  }
  if (tests.length !== 1) {
    throw site.error('GRAYLANE_VALIDATION', path, shapeProblem(tests, 'equals, in or regex', 'tests'));
  }
  if (rule.to !== 'stable' && rule.to !== 'canary') {
    throw site.error('GRAYLANE_VALIDATION', ['spec', 'rules', index, 'to'], `expected "stable" or "canary", got ${JSON.stringify(rule.to)}`);
  }
  const decision: Side = rule.to;
  const source = factSource(when, slots);
  if (when.equals !== undefined) return new CompiledRule(source, when.equals, undefined, undefined, decision);
  if (when.in !== undefined) {
    if (when.in.length === 0) {
      throw site.error('GRAYLANE_VALIDATION', [...path, 'in'], 'lists no values, so the rule could never match');
    }
    return new CompiledRule(source, undefined, new Set(when.in), undefined, decision);
  }
  return new CompiledRule(source, undefined, undefined, compileRegex(when.regex ?? '', [...path, 'regex'], site), decision);
}

function shapeProblem(present: readonly string[], expected: string, verb: string): string {
  const got = present.length === 0 ? 'none' : present.join(' and ');
  return `a rule ${verb} exactly one of ${expected}; got ${got}`;
}

function factSource(when: MatchConditionV1, slots: HeaderSlots): FactSource {
  if (when.header !== undefined) return new FactSource(HEADER, when.header.toLowerCase(), slots);
  if (when.cookie !== undefined) return new FactSource(COOKIE, when.cookie);
  return new FactSource(QUERY, when.query ?? '');
}

function compileRegex(pattern: string, path: readonly (string | number)[], site: CompileSite): RegExp {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw site.error('GRAYLANE_VALIDATION', path, `invalid regular expression ${shown(pattern)}: ${why}`, error);
  }
  if (hasNestedRepeat(pattern)) {
    throw site.error(
      'GRAYLANE_VALIDATION',
      path,
      `regular expression ${shown(pattern)} repeats a group that itself repeats, which can take exponential time on a crafted request; remove the outer or inner repeat`,
    );
  }
  return regex;
}
