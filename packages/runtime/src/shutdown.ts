import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { positiveIntFrom, type Env } from './env.js';

/** Something to close on shutdown, last registered first. */
export type Closer = () => unknown;

/** `GRAYLANE_DRAIN_GRACE_MS` when unset: how long in-flight requests get to finish on shutdown. */
export const DEFAULT_DRAIN_GRACE_MS = 10_000;

/**
 * What shutdown may take beyond the drain grace: flushing metrics to NATS or ClickHouse and
 * closing connections once the requests are done. An orchestrator's grace period (Kubernetes'
 * terminationGracePeriodSeconds, compose's stop_grace_period) should exceed grace + this margin.
 */
export const SHUTDOWN_MARGIN_MS = 10_000;

/** `GRAYLANE_DRAIN_GRACE_MS`: how long shutdown lets in-flight requests finish. */
export function drainGraceFrom(env: Env): number {
  return positiveIntFrom(env, 'GRAYLANE_DRAIN_GRACE_MS', DEFAULT_DRAIN_GRACE_MS);
}

/** The longest a process shuts down for, with a drain grace of `graceMs`. */
export function shutdownBudgetMs(graceMs: number): number {
  return graceMs + SHUTDOWN_MARGIN_MS;
}

/** How shutdown is bounded. */
export interface ShutdownOptions {
  /** The drain grace (GRAYLANE_DRAIN_GRACE_MS); all closers together get it plus SHUTDOWN_MARGIN_MS. */
  readonly graceMs: number;
  /** Ends the process; tests pass their own. */
  readonly exit?: (code: number) => void;
}

/**
 * Runs `closers` in reverse order on SIGTERM or SIGINT, then exits: 0 when every closer finished,
 * 1 when the budget (drain grace + margin) ran out first. The budget is for the whole shutdown,
 * not per step, so a drain may use all of its grace and the process still ends at a time an
 * orchestrator can plan for. A second signal exits at once. Returns a function that starts the
 * same shutdown without a signal (a proxy worker told to drain by its primary); calling it while
 * shutting down does nothing.
 */
export function closeOnSignals(logger: Logger, closers: Closer[], options: ShutdownOptions): (reason: string) => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let closing = false;
  const shutDown = (reason: string): void => {
    if (closing) return;
    closing = true;
    const budgetMs = shutdownBudgetMs(options.graceMs);
    logger.info({ signal: reason, budgetMs }, 'shutting down');
    void closeAll(logger, closers, budgetMs).then((finished) => exit(finished ? 0 : 1));
  };
  const onSignal = (signal: string): void => {
    if (closing) exit(1);
    else shutDown(signal);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  return shutDown;
}

/**
 * Runs `closers` last to first, each given what is left of `budgetMs`. Resolves true when all
 * finished (a closer that throws is logged and counts as finished), false when the budget ran out.
 */
export async function closeAll(logger: Logger, closers: readonly Closer[], budgetMs: number): Promise<boolean> {
  const deadline = Date.now() + budgetMs;
  const ordered = [...closers].reverse();
  for (const [step, close] of ordered.entries()) {
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'out-of-time'>((resolve) => {
      timer = setTimeout(() => resolve('out-of-time'), Math.max(0, deadline - Date.now()));
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(close), outOfTime]);
      if (outcome === 'out-of-time') {
        logger.error({ step, steps: ordered.length, budgetMs }, 'shutdown did not finish within drain grace + margin; exiting');
        return false;
      }
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
    } finally {
      clearTimeout(timer);
    }
  }
  return true;
}

/**
 * Closes an HTTP app the way the proxy's data plane drains: it stops listening and waits for
 * the requests in flight, and after `graceMs` cuts the connections of those still running.
 */
export async function closeHttpWithin(app: { readonly server: Server; close(): PromiseLike<unknown> }, graceMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
