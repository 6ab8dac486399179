import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * W3C Trace Context (`traceparent`, https://www.w3.org/TR/trace-context/) through the proxy: a
 * valid incoming header is passed on unchanged, so the upstream's spans join the caller's trace;
 * one that is absent or malformed is replaced by a new trace, so every upstream request carries
 * one and the proxy's error lines can name it. The proxy records no spans of its own.
 */

/** Where a request keeps the traceparent chosen for it, so a retry and the error log reuse it. */
const TRACEPARENT = Symbol('graylane.traceparent');
type WithTraceparent = { [TRACEPARENT]?: string };

/** Version 00 exactly (55 characters); a later version may append fields after a dash (§3.2.4). */
const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/** Whether `value` is a traceparent a tracer would accept (W3C Trace Context level 1, §3.2). */
export function isValidTraceparent(value: string): boolean {
  const match = TRACEPARENT_FORMAT.exec(value);
  if (match === null) return false;
  const [, version, traceId, parentId, , rest] = match;
  if (version === 'ff' || traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return false;
  // Version 00 has nothing after the flags.
  return version !== '00' || rest === undefined;
}

/** Random bytes for ids, filled 4 KiB at a time: one crypto call per ~170 new traces, not one per request. */
const POOL_BYTES = 4096;
const ID_BYTES = 24;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;

/**
 * A new traceparent: random trace id and parent id, flags `01` (sampled). The proxy starts the
 * trace, and an upstream whose tracer samples by its parent (OpenTelemetry's default) keeps
 * recording as it did when it was the trace's root.
 */
export function newTraceparent(): string {
  if (poolOffset + ID_BYTES > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += ID_BYTES;
  const traceId = pool.toString('hex', start, start + 16);
  const parentId = pool.toString('hex', start + 16, start + ID_BYTES);
  // All-zero ids are invalid; 2^-128 and 2^-64 apart, but a replaced header must always be valid.
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return newTraceparent();
  return `00-${traceId}-${parentId}-01`;
}

/** The traceparent to send upstream for `req`: its own when valid, else a new one; the same for every attempt. */
export function traceparentOf(req: IncomingMessage): string {
  const cached = (req as WithTraceparent)[TRACEPARENT];
  if (cached !== undefined) return cached;
  const incoming = req.headers.traceparent;
  const chosen = typeof incoming === 'string' && isValidTraceparent(incoming) ? incoming : newTraceparent();
  (req as WithTraceparent)[TRACEPARENT] = chosen;
  return chosen;
}

/** An `X-Request-ID` worth logging: short, printable, no spaces or quotes (it goes into JSON logs and nowhere else). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The id the proxy's log lines give a request: the client's `X-Request-ID` when it is sane, else
 * the trace id of the traceparent sent upstream, which the upstream's logs and traces carry too.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && SANE_REQUEST_ID.test(given)) return given;
  return traceparentOf(req).slice(3, 35);
}
