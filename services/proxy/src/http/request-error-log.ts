import type { IncomingMessage } from 'node:http';
import type { Logger } from '@graylane/runtime';
import { requestIdOf } from '../forward/trace-context.js';

/** Per-request lines a second at most; the rest are counted and reported in one line the next second. */
export const DEFAULT_LINES_PER_SECOND = 20;

/**
 * The data plane's only per-request log lines: requests that failed (502, 504, 500) or that the
 * proxy refused, each with its request id (`X-Request-ID`, else the trace id sent upstream in
 * `traceparent`), so an operator can find the request in the upstream's logs and traces. Successful
 * requests are never logged. During an outage every request fails, so lines are capped per second
 * and what the cap held back is counted in the next line that gets through.
 */
export class RequestErrorLog {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly linesPerSecond = DEFAULT_LINES_PER_SECOND,
    private readonly now: () => number = Date.now,
  ) {}

  /** A request the proxy answered with an error of its own (`status`), at warn level. */
  failed(req: IncomingMessage, status: number, fields: Record<string, unknown>, message: string): void {
    this.write('warn', { requestId: requestIdOf(req), status, method: req.method, path: pathOf(req), ...fields }, message);
  }

  /** A request the proxy refused as malformed (4xx), at info level: the client's problem, not the proxy's. */
  refused(req: IncomingMessage | undefined, status: number, fields: Record<string, unknown>, message: string): void {
    const identity = req === undefined ? {} : { requestId: requestIdOf(req), method: req.method, path: pathOf(req) };
    this.write('info', { ...identity, status, ...fields }, message);
  }

  private write(level: 'warn' | 'info', fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.linesPerSecond) {
      this.suppressed += 1;
      return;
    }
    this.inWindow += 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    this.logger[level](suppressed === 0 ? fields : { ...fields, suppressedBefore: suppressed }, message);
  }
}

/** The path without its query: a query may carry tokens, and logs travel further than traffic. */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return (query === -1 ? url : url.slice(0, query)).slice(0, 256);
}
