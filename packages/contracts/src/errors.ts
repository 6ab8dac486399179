import { Type } from '@sinclair/typebox';

/**
 * The catalogue of error codes. A code is never reused for another meaning; `retryable` tells a
 * client whether the same request may succeed later.
 */
export const ERROR_CODES = {
  GRAYLANE_VALIDATION: { retryable: false, summary: 'the input does not match its schema' },
  GRAYLANE_BAD_JSON: { retryable: false, summary: 'the body is not valid JSON' },
  GRAYLANE_UNKNOWN_COMMAND: { retryable: false, summary: 'no such command verb' },
  GRAYLANE_UNAUTHORIZED: { retryable: false, summary: 'missing or wrong credentials' },
  GRAYLANE_NOT_FOUND: { retryable: false, summary: 'no rollout of that name' },
  GRAYLANE_VERSION_CONFLICT: { retryable: true, summary: 'the config changed since the expected version' },
  GRAYLANE_CONFLICT: { retryable: false, summary: 'the change contradicts another rollout' },
  GRAYLANE_UNAVAILABLE: { retryable: true, summary: 'a dependency (NATS, ClickHouse, Redis) did not answer' },
  GRAYLANE_INTERNAL: { retryable: true, summary: 'an unexpected failure; see the service log' },
  GRAYLANE_PAYLOAD_TOO_LARGE: { retryable: false, summary: 'the request body is larger than the service accepts' },
  GRAYLANE_WRITES_CLOSED: {
    retryable: false,
    summary: 'no token is configured for this endpoint, so it refuses every write until the operator sets one (or opens it)',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ErrorCode = Type.Union(
  (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => Type.Literal(code)),
);

/** An error with a stable code, a message naming the bad value, and whether to retry. */
export class GraylaneError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GraylaneError';
    this.code = code;
    this.retryable = ERROR_CODES[code].retryable;
    this.field = options.field;
  }

  /** The error as it travels in a reply. */
  toBody(): { code: ErrorCode; message: string; retryable: boolean; field?: string } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}
