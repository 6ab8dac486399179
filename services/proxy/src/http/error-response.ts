import { STATUS_CODES, type ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '@graylane/contracts';

/**
 * The body of every answer the data plane and the explain endpoint give themselves instead of an
 * upstream (no config, no rollout, upstream gone): the shape config and analytics use,
 * `{ error: { code, message, retryable } }`, with `context` (pool, upstream, configVersion) beside
 * `error`. Built as plain data, with no Error and its stack: during an upstream outage every
 * request ends here.
 */
export function errorBody(code: ErrorCode, message: string, context: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: { code, message, retryable: ERROR_CODES[code].retryable }, ...context };
}

/** Answers `res` with `status` and {@link errorBody}, unless headers already went out: then the connection is cut. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, context: Record<string, unknown> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(code, message, context));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * A whole HTTP/1.1 error answer with {@link errorBody} and `connection: close`, as bytes to write
 * straight to a socket: for the answers given where there is no ServerResponse (a malformed
 * request, CONNECT) or where one must not be used (see body-watch.ts).
 */
export function rawErrorResponse(status: number, code: ErrorCode, message: string): string {
  const body = JSON.stringify(errorBody(code, message));
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
