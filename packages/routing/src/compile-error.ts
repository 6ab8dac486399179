import { GraylaneError, type ErrorCode } from '@graylane/contracts';

/** A field inside a rollout record, as keys and array indexes: ['spec', 'rules', 1, 'when']. */
export type FieldPath = readonly (string | number)[];

/**
 * Where a rollout is being compiled: its name, and the JSON pointer of the record inside the
 * input ('' for a lone record, '/rollouts/<name>' inside a table), so errors point at the field.
 */
export class CompileSite {
  constructor(
    readonly rollout: string,
    readonly base: string,
  ) {}

  /** A GraylaneError whose message names the rollout and the field, and whose `field` is its pointer. */
  error(code: ErrorCode, path: FieldPath, detail: string, cause?: unknown): GraylaneError {
    return new GraylaneError(code, `rollout "${this.rollout}": ${dotted(path)}: ${detail}`, {
      field: this.base + pointer(path),
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** `spec.rules[1].when.regex` */
export function dotted(path: FieldPath): string {
  let text = '';
  for (const part of path) {
    text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
  }
  return text;
}

/** `/spec/rules/1/when/regex` (RFC 6901) */
export function pointer(path: FieldPath): string {
  let text = '';
  for (const part of path) text += `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return text;
}

/** A value for messages: quoted and cut to a readable length. */
export function shown(value: string): string {
  const quoted = JSON.stringify(value);
  return quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted;
}
