import { GraylaneError } from '@graylane/contracts';

/**
 * A histogram (or its entries) that does not fit this layout. It is a GRAYLANE_VALIDATION error,
 * not retryable: redelivering the same bytes cannot make them decode, so a consumer drops them.
 * `field` points at the bad part, e.g. `buckets[3][0]`.
 */
export class HistogramDecodeError extends GraylaneError {
  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super('GRAYLANE_VALIDATION', message, options);
    this.name = 'HistogramDecodeError';
  }
}

/** Throws a HistogramDecodeError whose message starts with the field, like the rest of graylane. */
export function decodeFailure(field: string, expected: string, got: unknown): never {
  throw new HistogramDecodeError(`${field}: expected ${expected}, got ${describe(got)}`, { field });
}

/** A short rendering of a bad value: enough to recognise it, never a whole payload. */
function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? `an array of length ${value.length}` : 'an object';
    case 'function':
      return 'a function';
    default:
      return String(value);
  }
}
