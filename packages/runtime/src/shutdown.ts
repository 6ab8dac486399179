import type { Logger } from 'pino';

/** Something to close on shutdown, last registered first. */
export type Closer = () => unknown;

/**
 * Runs `closers` in reverse order on SIGTERM or SIGINT, each given at most `timeoutMs`, then
 * exits. A second signal exits at once. Returns a function that starts the same shutdown without
 * a signal (a proxy worker told to drain by its primary); calling it while shutting down does nothing.
 */
export function closeOnSignals(logger: Logger, closers: Closer[], timeoutMs = 10_000): (reason: string) => void {
  let closing = false;
  const shutDown = (reason: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal: reason }, 'shutting down');
    void closeAll(logger, closers, timeoutMs).then(() => process.exit(0));
  };
  const onSignal = (signal: string): void => {
    if (closing) process.exit(1);
    shutDown(signal);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  return shutDown;
}

async function closeAll(logger: Logger, closers: Closer[], timeoutMs: number): Promise<void> {
  for (const close of [...closers].reverse()) {
    try {
      await Promise.race([close(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
    }
  }
}
