/**
 * One coarse clock for every upstream timeout of an engine, instead of a timer per request: a
 * single unref'd interval advances `tick`, and each pass calls `sweep`, which compares the ticks
 * a connection recorded (a plain number, no clock read on the hot path) with the current one.
 * A timeout fires between `ms` and `ms + resolutionMs` late, which is plenty for timeouts of
 * seconds, and costs nothing per request: no timer objects to create, re-arm or collect.
 */
export class TimeoutSweep {
  /** Advanced by one every `resolutionMs`. */
  tick = 0;
  readonly resolutionMs: number;
  private timer: NodeJS.Timeout | undefined;

  /** `shortestMs`: the smallest timeout swept; the resolution is an eighth of it, between 5 and 100 ms. */
  constructor(
    shortestMs: number,
    private readonly sweep: (tick: number) => void,
  ) {
    this.resolutionMs = Math.max(5, Math.min(100, Math.floor(shortestMs / 8)));
  }

  /** Ticks that must pass for `ms` to have elapsed. */
  ticksFor(ms: number): number {
    return Math.max(1, Math.ceil(ms / this.resolutionMs));
  }

  /** Starts the clock if it is not running. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.tick += 1;
      this.sweep(this.tick);
    }, this.resolutionMs);
    // Pending upstream timeouts must not keep a stopping process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
