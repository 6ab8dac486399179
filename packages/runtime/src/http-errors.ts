import { GraylaneError, type ErrorCode } from '@graylane/contracts';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  GRAYLANE_VALIDATION: 400,
  GRAYLANE_BAD_JSON: 400,
  GRAYLANE_UNKNOWN_COMMAND: 404,
  GRAYLANE_UNAUTHORIZED: 401,
  GRAYLANE_NOT_FOUND: 404,
  GRAYLANE_VERSION_CONFLICT: 409,
  GRAYLANE_CONFLICT: 409,
  GRAYLANE_UNAVAILABLE: 503,
  GRAYLANE_INTERNAL: 500,
  GRAYLANE_PAYLOAD_TOO_LARGE: 413,
  GRAYLANE_WRITES_CLOSED: 403,
};

/** The HTTP status for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** Any thrown value as a GraylaneError: unknown failures become GRAYLANE_INTERNAL with the cause. */
export function asGraylaneError(error: unknown): GraylaneError {
  if (error instanceof GraylaneError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GraylaneError('GRAYLANE_INTERNAL', message, { cause: error });
}
