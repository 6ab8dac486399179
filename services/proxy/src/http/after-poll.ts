/**
 * Defers `run(a, b)` until the event loop's current poll pass is over (one `setImmediate` per
 * pass, not per call), then runs the calls queued during it in the order they came.
 *
 * Why the proxy does its deferrable work this way: one poll pass hands Node both new requests
 * and upstream answers to requests already sent, and the order Node gets them in is the kernel's.
 * Routing a new request (data-plane.ts) and reporting a finished one (forward-finish.ts) at once
 * makes a ready answer wait behind them; deferred, the answers read in the pass go out to their
 * clients first, and the deferred work runs together right after. Measured with the bench's
 * request (docs/decisions/0003-own-upstream-client.md, "Routing after the poll"): a lower p99 at
 * half of the peak rate and less CPU per request at peak.
 */
export function afterPoll<A, B>(run: (a: A, b: B) => void): (a: A, b: B) => void {
  // Pairs laid flat, [a0, b0, a1, b1, …]: no object per call.
  let queued: (A | B)[] = [];
  let scheduled = false;
  const runQueued = (): void => {
    const batch = queued;
    queued = [];
    scheduled = false;
    for (let i = 0; i < batch.length; i += 2) run(batch[i] as A, batch[i + 1] as B);
  };
  return (a, b) => {
    queued.push(a, b);
    if (scheduled) return;
    scheduled = true;
    setImmediate(runQueued);
  };
}
