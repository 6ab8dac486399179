import { isIP } from 'node:net';
import { ConfigError, type Env } from './env.js';

/** Where admin and API ports listen unless the operator publishes them on purpose. */
export const LOOPBACK_HOST = '127.0.0.1';

/**
 * The address to listen on from `env[name]`: an IPv4 or IPv6 address (`0.0.0.0` or `::` publish
 * the port on every interface), or `localhost`; loopback when unset, so a port that changes
 * rollouts or sessions is reachable from the same machine only until the operator says otherwise.
 */
export function bindHostFrom(env: Env, name: string, fallback: string = LOOPBACK_HOST): string {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return fallback;
  if (raw !== 'localhost' && isIP(raw) === 0) {
    throw new ConfigError(name, `expected an IP address to listen on (127.0.0.1, 0.0.0.0, ::) or localhost, got "${raw}"`);
  }
  return raw;
}
