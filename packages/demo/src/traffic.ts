import { Agent, request } from 'node:http';

export interface TrafficOptions {
  /** Proxy URL, e.g. http://127.0.0.1:8080/checkout */
  url: string;
  /** Target requests per second. */
  rate: number;
  /** Distinct users; each request carries `x-user-id: user-<n>` for a random n below this. */
  users: number;
  /** Host header, to match a rollout's hosts. */
  host?: string;
  /** Stop after this many requests (default: run until stopped). */
  limit?: number;
}

export interface TrafficStats {
  sent: number;
  ok: number;
  failed: number;
  byPool: Record<string, number>;
}

/**
 * Sends requests at a steady rate as many users, until `stop()` or the limit. Paced in small
 * ticks so the rate holds on a busy machine without a burst after a stall.
 */
export function startTraffic(options: TrafficOptions): { stats: TrafficStats; stop: () => void; done: Promise<void> } {
  const stats: TrafficStats = { sent: 0, ok: 0, failed: 0, byPool: {} };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(options.url);
  const tickMs = 20;
  let stopped = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const sendOne = (): void => {
    stats.sent += 1;
    const user = `user-${Math.floor(Math.random() * options.users)}`;
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        agent,
        headers: { 'x-user-id': user, ...(options.host === undefined ? {} : { host: options.host }) },
      },
      (res) => {
        const pool = String(res.headers['x-graylane-pool'] ?? 'unknown');
        stats.byPool[pool] = (stats.byPool[pool] ?? 0) + 1;
        if ((res.statusCode ?? 500) < 500) stats.ok += 1;
        else stats.failed += 1;
        res.resume();
      },
    );
    req.on('error', () => {
      stats.failed += 1;
    });
    req.end();
  };

  let credit = 0;
  const timer = setInterval(() => {
    credit = Math.min(credit + (options.rate * tickMs) / 1000, options.rate);
    while (credit >= 1 && !stopped) {
      credit -= 1;
      sendOne();
      if (options.limit !== undefined && stats.sent >= options.limit) stop();
    }
  }, tickMs);

  function stop(): void {
    stopped = true;
    clearInterval(timer);
    agent.destroy();
    resolveDone();
  }
  return { stats, stop, done };
}
