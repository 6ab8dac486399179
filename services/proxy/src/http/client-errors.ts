import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { rawErrorResponse } from './error-response.js';
import { closeAfterAnswer, isClosing } from './lingering-close.js';
import type { RequestProblem } from './request-checks.js';

/** What Node's HTTP server hands to `clientError`: a parser error (HPE_*), the header timeout, or a socket error. */
interface ClientError extends Error {
  code?: string;
}

/** The status and message for a request Node's parser refused, by the error's code; undefined when the connection is simply gone. */
export function clientErrorOutcome(error: ClientError): { status: number; message: string } | undefined {
  switch (error.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined;
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'the request head is larger than the server accepts' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'the chunk extensions of the request body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'the request head did not arrive in time' };
    default:
      return { status: 400, message: `malformed request (${error.code ?? 'parse error'})` };
  }
}

/** The answer to a request Node's parser refused, by the error's code; undefined when the connection is simply gone. */
export function clientErrorAnswer(error: ClientError): string | undefined {
  const outcome = clientErrorOutcome(error);
  return outcome === undefined ? undefined : rawErrorResponse(outcome.status, 'GRAYLANE_VALIDATION', outcome.message);
}

/**
 * The data plane's `clientError` listener. Node's own answers the same codes but destroys the
 * socket at once, which resets a connection whose client is still sending: a 70 KB header then
 * got a reset instead of 431. Here the answer is followed by a lingering close. Nothing is
 * written once an answer on this connection has started (a later pipelined request broke).
 */
export function answerClientError(error: ClientError, socket: Duplex): void {
  if (isClosing(socket)) return;
  const answer = clientErrorAnswer(error);
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (answer === undefined || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  closeAfterAnswer(socket, answer);
}

/** Answers a request refused by `requestProblem` and closes its connection: its framing is not to be trusted for a next request. */
export function refuse(socket: Duplex, problem: RequestProblem): void {
  closeAfterAnswer(socket, rawErrorResponse(problem.status, 'GRAYLANE_VALIDATION', problem.message));
}
