import type { Logger } from 'pino';

/**
 * Runs `task` again whenever it ends or fails, until `stopped()` says the process is shutting
 * down: a watch that ends on a NATS hiccup must not leave a service quietly serving stale state.
 * Waits `backoffMs` (doubling up to 10 s) between runs; resolves once stopped.
 */
export async function keepRunning(
  what: string,
  task: () => Promise<void>,
  options: { logger: Logger; stopped: () => boolean; backoffMs?: number },
): Promise<void> {
  const first = options.backoffMs ?? 250;
  let backoff = first;
  while (!options.stopped()) {
    const started = Date.now();
    try {
      await task();
    } catch (error) {
      options.logger.error({ err: error }, `${what} failed`);
    }
    if (options.stopped()) return;
    // A run that lasted a while was healthy: start the backoff over.
    backoff = Date.now() - started > 30_000 ? first : Math.min(backoff * 2, 10_000);
    options.logger.warn({ retryInMs: backoff }, `${what} ended; restarting`);
    await new Promise((resolve) => setTimeout(resolve, backoff));
  }
}
