import { setTimeout as sleep } from 'node:timers/promises';

/** How a wait for readiness ended: ready, out of time, or with the reason it never will be. */
export type PollOutcome = 'ready' | 'timeout' | { failure: string };

/** What {@link pollUntilReady} looks at. */
export interface PollSpec {
  /** One look: whether the thing is ready right now. */
  ready(): Promise<boolean>;
  /** Why it never will be (it exited, its port was taken), checked before each look; undefined to go on. */
  failed?(): Promise<string | undefined>;
  timeoutMs: number;
  pollMs: number;
}

/**
 * Looks every `pollMs` until `ready()` says yes, ends early when `failed()` gives a reason, and
 * gives up with `timeout` once `timeoutMs` have passed (after one last look). The one readiness
 * loop under every wait here: a port, a URL, a supervised server's start.
 */
export async function pollUntilReady(spec: PollSpec): Promise<PollOutcome> {
  const deadline = Date.now() + spec.timeoutMs;
  for (;;) {
    const failure = await spec.failed?.();
    if (failure !== undefined) return { failure };
    if (await spec.ready()) return 'ready';
    if (Date.now() >= deadline) return 'timeout';
    await sleep(spec.pollMs);
  }
}
