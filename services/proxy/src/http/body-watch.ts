import type { IncomingMessage, ServerResponse } from 'node:http';
import { rawErrorResponse } from './error-response.js';

/** True when the request announces a body (Content-Length above 0 or Transfer-Encoding), the only requests worth watching. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Cuts a request whose body stops arriving for `idleMs`. Once forwarded, a request holds an
 * upstream connection until its body ends, so clients that send a byte now and then could
 * otherwise pin every upstream connection (1 100 bodies at 1 byte/s pinned all 1 024).
 *
 * Progress is the socket's `bytesRead`, checked every `idleMs / 2` by one timer per request with
 * a body (requests without one pay nothing), so a stall is caught between `idleMs` and 1.5 ×
 * `idleMs`. Bytes still waiting in the request's own buffer mean the reader (the upstream, or a
 * session lookup before it) is slow, not the client: that is not a stall.
 */
export function watchBody(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  const socket = req.socket;
  let seen = socket.bytesRead;
  let quietChecks = 0;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed || res.writableEnded) {
      clearInterval(timer);
      return;
    }
    const read = socket.bytesRead;
    if (read !== seen || req.readableLength > 0) {
      seen = read;
      quietChecks = 0;
      return;
    }
    if (++quietChecks < 2) return;
    clearInterval(timer);
    cutStalled(req, res, idleMs);
  }, Math.max(1, Math.floor(idleMs / 2)));
  timer.unref();
}

/**
 * Answers 408 if no answer has started, else cuts the connection. The 408 goes straight to the
 * socket and not through `res`: a response left unfinished tells the forwarding engine that the
 * client went away, and the engine then destroys the upstream connection instead of waiting for
 * the rest of the body. No lingering: the client has sent nothing for the whole idle time, so
 * there is no unread input to turn the close into a reset.
 */
function cutStalled(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  const socket = req.socket;
  if (res.headersSent || !socket.writable) {
    socket.destroy();
    return;
  }
  // Destroyed once the answer is flushed, or after a second if the client does not even read it.
  setTimeout(() => socket.destroy(), 1_000).unref();
  socket.once('finish', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.end(rawErrorResponse(408, 'GRAYLANE_VALIDATION', `the request body sent no byte for ${idleMs} ms`));
}
