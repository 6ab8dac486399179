import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientLimits } from './client-limits.js';
import { rawErrorResponse } from './error-response.js';
import { closeAfterAnswer } from './lingering-close.js';

/** True when the request announces a body (Content-Length above 0 or Transfer-Encoding), the only requests worth watching. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Cuts a request whose body arrives too slowly: fewer than `bodyMinBytesPerSecond` on average
 * over a window of `bodyIdleTimeoutMs` (no byte at all in that window, at the least). Once
 * forwarded, a request holds an upstream connection until its body ends, so clients that send a
 * byte now and then could otherwise pin every upstream connection (1 100 bodies at 1 byte/s
 * pinned all 1 024); the idle rule alone lets a byte a second through.
 *
 * Progress is the socket's `bytesRead`, checked every half window by one timer per request with
 * a body (requests without one pay nothing); a window is the last two checks, so a stall is
 * caught between one and one and a half windows. While bytes wait in the request's own buffer, or
 * the request is paused, the reader (the upstream, or a session lookup before it) is the slow
 * one, not the client: the count starts again.
 */
export function watchBody(req: IncomingMessage, res: ServerResponse, limits: ClientLimits): void {
  const socket = req.socket;
  const windowMs = limits.bodyIdleTimeoutMs;
  const checkMs = Math.max(1, Math.floor(windowMs / 2));
  const minBytesPerWindow = Math.max(1, Math.ceil((limits.bodyMinBytesPerSecond * checkMs * 2) / 1000));
  let seen = socket.bytesRead;
  /** Bytes the client sent in the previous check, or -1 when that check does not count. */
  let previous = -1;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed || res.writableEnded) {
      clearInterval(timer);
      return;
    }
    const read = socket.bytesRead;
    const sent = read - seen;
    seen = read;
    if (req.readableLength > 0 || req.isPaused()) {
      previous = -1;
      return;
    }
    const inWindow = previous + sent;
    const counted = previous !== -1;
    previous = sent;
    if (!counted || inWindow >= minBytesPerWindow) return;
    clearInterval(timer);
    const why =
      inWindow === 0
        ? `the request body sent no byte for ${windowMs} ms`
        : `the request body sent ${inWindow} bytes in ${windowMs} ms, below the minimum of ${limits.bodyMinBytesPerSecond} bytes/s`;
    cutStalled(req, res, why);
  }, checkMs);
  timer.unref();
}

/**
 * Answers 408 if no answer has started, else cuts the connection. The 408 goes straight to the
 * socket and not through `res`: a response left unfinished tells the forwarding engine that the
 * client went away, and the engine then destroys the upstream connection instead of waiting for
 * the rest of the body. A slow client may still be sending, so the close lingers
 * (lingering-close.ts): its late bytes must not turn the close into a reset that loses the 408.
 */
function cutStalled(req: IncomingMessage, res: ServerResponse, why: string): void {
  const socket = req.socket;
  if (res.headersSent || !socket.writable) {
    socket.destroy();
    return;
  }
  closeAfterAnswer(socket, rawErrorResponse(408, 'GRAYLANE_VALIDATION', why));
}
