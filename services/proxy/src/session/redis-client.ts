import { Redis } from 'ioredis';
import type { Logger } from '@graylane/runtime';

/**
 * The proxy's Redis client for session bindings. It never makes a request wait on Redis: commands
 * fail at once while disconnected (no offline queue) instead of piling up, reconnects run in the
 * background for as long as the proxy lives, and only changes of state are logged, so a Redis
 * outage costs one log line, not one per request.
 */
export function connectSessionRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  let up = false;
  redis.on('ready', () => {
    up = true;
    logger.info('session Redis connected');
  });
  redis.on('error', (error: Error) => {
    if (up) logger.warn({ err: error }, 'session Redis failed; deciding without bindings until it is back');
    up = false;
  });
  return redis;
}
