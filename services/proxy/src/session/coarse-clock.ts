/** How often the coarse clock reads the real one. */
export const COARSE_CLOCK_RESOLUTION_MS = 10;

let current = Date.now();
let timer: NodeJS.Timeout | undefined;

/**
 * Milliseconds since the epoch, about {@link COARSE_CLOCK_RESOLUTION_MS} old (older while the event
 * loop lags). The session cache checks an entry's age on every request, and `Date.now()` is a
 * call into the runtime that cost about as much as the rest of a cache hit (measured in
 * bench/routing.ts); cache TTLs are
 * seconds long, so 10 ms of staleness changes nothing. The timer is unref'd: it never keeps the
 * process alive, and costs 100 wake-ups a second only in processes that use it.
 */
export function coarseNow(): number {
  if (timer === undefined) {
    current = Date.now();
    timer = setInterval(() => {
      current = Date.now();
    }, COARSE_CLOCK_RESOLUTION_MS);
    timer.unref();
  }
  return current;
}
