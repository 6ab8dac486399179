/**
 * Caps retries at a share of recent requests, so that retries cannot multiply load on a pool
 * that is already failing (a retry storm). Counts over a sliding pair of one-second windows;
 * `minPerSecond` lets a quiet proxy still retry a few requests.
 */
export class RetryBudget {
  private windowStart = 0;
  private requests = 0;
  private retries = 0;
  private previousRequests = 0;
  private previousRetries = 0;

  constructor(
    private readonly ratio = 0.2,
    private readonly minPerSecond = 10,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one first attempt. */
  noteRequest(): void {
    this.roll();
    this.requests += 1;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(): boolean {
    this.roll();
    const allowed = Math.max(this.minPerSecond, (this.requests + this.previousRequests) * this.ratio);
    if (this.retries + this.previousRetries >= allowed) return false;
    this.retries += 1;
    return true;
  }

  private roll(): void {
    const now = this.now();
    if (now - this.windowStart < 1000) return;
    const skipped = now - this.windowStart >= 2000;
    this.previousRequests = skipped ? 0 : this.requests;
    this.previousRetries = skipped ? 0 : this.retries;
    this.requests = 0;
    this.retries = 0;
    this.windowStart = now;
  }
}

/** Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** True when a request may be retried on another endpoint: idempotent and without a body to replay. */
export function isRetryable(method: string | undefined, headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  if (method === undefined || !IDEMPOTENT.has(method)) return false;
  const length = headers['content-length'];
  return headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}
