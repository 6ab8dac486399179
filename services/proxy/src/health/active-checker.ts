import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Settings of active health checks; no `path` means active checks are off. */
export interface ActiveCheckSettings {
  readonly path: string | undefined;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Failed checks in a row that mark an endpoint down. */
  readonly unhealthyThreshold: number;
  /** Passed checks in a row that bring it back. */
  readonly healthyThreshold: number;
}

interface CheckState {
  down: boolean;
  failures: number;
  passes: number;
}

/**
 * Probes every endpoint with `GET path` each interval, off the request path. A 2xx/3xx answer
 * within the timeout passes; anything else fails. Endpoints come from `origins()` at each round,
 * so a new config's endpoints are picked up and removed ones forgotten.
 */
export class ActiveChecker {
  private readonly states = new Map<string, CheckState>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  /** Origins forgotten since the round in progress began: its late answers about them are dropped. */
  private readonly forgotten = new Set<string>();
  private inRound = false;

  constructor(
    private readonly settings: ActiveCheckSettings,
    private readonly origins: () => ReadonlySet<string>,
  ) {}

  /** True when active checks marked `origin` down. */
  isDown(origin: string): boolean {
    return this.states.get(origin)?.down === true;
  }

  /** Drops the check state of `origin` (it left the config); `origins()` no longer names it, so it is not probed again. */
  forget(origin: string): void {
    this.states.delete(origin);
    // Only a round in progress can bring a late answer; outside one (or with checks off) nothing is kept.
    if (this.inRound) this.forgotten.add(origin);
  }

  /** Starts probing (no-op without a path). */
  start(): void {
    if (this.settings.path === undefined || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.round = this.round.then(() => this.checkAll());
    }, this.settings.intervalMs);
    this.timer.unref();
  }

  /** Stops probing and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** One round of probes over every current endpoint; exposed for tests. */
  async checkAll(): Promise<void> {
    this.forgotten.clear();
    this.inRound = true;
    try {
      const origins = this.origins();
      for (const origin of this.states.keys()) if (!origins.has(origin)) this.states.delete(origin);
      await Promise.all([...origins].map(async (origin) => this.note(origin, await this.probe(origin))));
    } finally {
      this.inRound = false;
      this.forgotten.clear();
    }
  }

  private note(origin: string, passed: boolean): void {
    if (this.forgotten.has(origin)) return;
    let state = this.states.get(origin);
    if (state === undefined) {
      state = { down: false, failures: 0, passes: 0 };
      this.states.set(origin, state);
    }
    if (passed) {
      state.failures = 0;
      state.passes += 1;
      if (state.down && state.passes >= this.settings.healthyThreshold) state.down = false;
    } else {
      state.passes = 0;
      state.failures += 1;
      if (state.failures >= this.settings.unhealthyThreshold) state.down = true;
    }
  }

  private probe(origin: string): Promise<boolean> {
    const url = new URL(this.settings.path ?? '/', origin);
    return new Promise((resolve) => {
      // A probe uses its own short-lived connection: a health answer must not depend on a pooled socket.
      const req = (url.protocol === 'https:' ? httpsRequest : request)(url, { method: 'GET', timeout: this.settings.timeoutMs, agent: false }, (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(status >= 200 && status < 400);
      });
      req.on('timeout', () => req.destroy(new Error('health check timeout')));
      req.on('error', () => resolve(false));
      req.end();
    });
  }
}
