import type { HostMode } from './forwarded-headers.js';
import type { RequestErrorLog } from '../http/request-error-log.js';
import type { RetryBudget } from './retry-budget.js';
import type { RequestStats } from './request-stats.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** Settings shared by every forwarded request, whatever the engine. */
export interface ForwarderSettings {
  /** A TCP connect to an upstream that takes longer fails (and may be retried elsewhere). */
  connectTimeoutMs: number;
  /** An upstream silent for this long (no response bytes) gets the client a 504. */
  responseTimeoutMs: number;
  hostMode: HostMode;
  trusted: TrustedProxies;
  retryBudget: RetryBudget;
  /** Passive outlier ejection hears every exchange: `failed` for a 5xx or no connection. */
  recordOutcome: (origin: string, failed: boolean) => void;
  stats: RequestStats;
  /** Where failed requests (502, 504, 500) are logged with their request id; silent when absent. */
  errorLog?: RequestErrorLog | undefined;
}
