import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { GraylaneError } from './errors.js';

// Schemas are checked on hot paths (every metric batch in analytics, every config version in
// every proxy), so each is compiled to a checker once, on first use; errors still come from
// Value.Errors, which is only reached for invalid input.
const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerOf(schema: TSchema): TypeCheck<TSchema> {
  let checker = checkers.get(schema);
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema);
    checkers.set(schema, checker);
  }
  return checker;
}

/** One reason a value does not match its schema: where (JSON pointer) and what was expected. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Every issue of `value` against `schema`, first ones first; empty when it matches. */
export function validationIssues(schema: TSchema, value: unknown, limit = 5): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of Value.Errors(schema, value)) {
    issues.push({ path: error.path || '/', message: describe(error.message, error.value) });
    if (issues.length >= limit) break;
  }
  return issues;
}

/**
 * The value typed by its schema, or a GRAYLANE_VALIDATION error whose message names the field,
 * what it must be, and what it was.
 */
export function parseWith<S extends TSchema>(schema: S, value: unknown, what: string): Static<S> {
  if (checkerOf(schema).Check(value)) return value;
  const [first] = validationIssues(schema, value, 1);
  const path = first?.path ?? '/';
  throw new GraylaneError('GRAYLANE_VALIDATION', `invalid ${what}: ${path}: ${first?.message ?? 'does not match'}`, {
    field: path,
  });
}

function describe(message: string, value: unknown): string {
  if (value === undefined) return message.replace(/^Expected required property$/, 'is required');
  const shown = JSON.stringify(value);
  const short = shown !== undefined && shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
  return `${message.toLowerCase()} (got ${short})`;
}
