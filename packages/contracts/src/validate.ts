import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GraylaneError } from './errors.js';

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
  if (Value.Check(schema, value)) return value;
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
