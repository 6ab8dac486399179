/** How soon a worker that died is replaced. */
export interface RestartBackoffSettings {
  /** Delay after an isolated exit. */
  readonly baseMs: number;
  /** Cap, so a worker that cannot start is retried this often, not given up on. */
  readonly maxMs: number;
  /** Exits older than this no longer count: a crash loop has to be recent to slow replacements. */
  readonly windowMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffSettings = { baseMs: 100, maxMs: 30_000, windowMs: 60_000 };

/**
 * Replacement delays for dead workers: base after one exit, doubling with each further exit
 * within the window (of any worker, since a bad config or a missing port kills all of them
 * alike), up to the cap. Pure apart from the times it is given.
 */
export class RestartBackoff {
  private exits: number[] = [];

  constructor(private readonly settings: RestartBackoffSettings = DEFAULT_RESTART_BACKOFF) {}

  /** Records an exit at `nowMs` and returns how long to wait before starting its replacement. */
  delayAfterExit(nowMs: number): number {
    const { baseMs, maxMs, windowMs } = this.settings;
    this.exits = this.exits.filter((at) => nowMs - at < windowMs);
    this.exits.push(nowMs);
    const doublings = Math.min(this.exits.length - 1, 30);
    return Math.min(maxMs, baseMs * 2 ** doublings);
  }
}
