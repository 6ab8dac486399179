import type { ErrorCode } from '@graylane/contracts';

/** Process exit codes, so scripts can tell a typo from an outage. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  invalid: 3,
  notFound: 4,
  conflict: 5,
  unavailable: 6,
  unauthorized: 7,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  GRAYLANE_VALIDATION: EXIT.invalid,
  GRAYLANE_BAD_JSON: EXIT.invalid,
  GRAYLANE_UNKNOWN_COMMAND: EXIT.usage,
  GRAYLANE_UNAUTHORIZED: EXIT.unauthorized,
  GRAYLANE_NOT_FOUND: EXIT.notFound,
  GRAYLANE_VERSION_CONFLICT: EXIT.conflict,
  GRAYLANE_CONFLICT: EXIT.conflict,
  GRAYLANE_UNAVAILABLE: EXIT.unavailable,
  GRAYLANE_INTERNAL: EXIT.failure,
  GRAYLANE_PAYLOAD_TOO_LARGE: EXIT.invalid,
  GRAYLANE_WRITES_CLOSED: EXIT.unauthorized,
};

export function exitCodeOf(code: ErrorCode): number {
  return BY_CODE[code];
}
