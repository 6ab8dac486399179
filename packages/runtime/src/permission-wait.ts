/**
 * On a bus with permissions (infra/nats/permissions.conf) a process may be refused an operation
 * that another role does, such as creating the config bucket; it then waits for that role
 * instead of failing its start, so processes may still start in any order. `waitFor` is the
 * retry loop for that wait and for JetStream's start (jetstream-ready.ts).
 */

/** True for the error nats.js raises when the server refuses a publish or subscribe. */
export function isPermissionDenied(error: unknown): boolean {
  return error instanceof Error && /permissions? violation/i.test(error.message);
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/**
 * Runs `attempt` until it succeeds, retrying with backoff while `retryable(error)`; `onRetry`
 * hears of each retry before its wait (to say why a start takes long).
 */
export async function waitFor<T>(
  attempt: () => Promise<T>,
  retryable: (error: unknown) => boolean,
  stopped: () => boolean,
  onRetry?: (error: unknown, delayMs: number) => void,
): Promise<T> {
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(MAX_DELAY_MS, delay * 2)) {
    try {
      return await attempt();
    } catch (error) {
      if (!retryable(error) || stopped()) throw error;
      onRetry?.(error, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
