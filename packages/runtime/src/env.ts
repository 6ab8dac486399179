import { redactNatsUrl } from './nats-url.js';

/**
 * Reading a service's environment once at start. Every helper throws a ConfigError whose message
 * names the variable, the expected form and the value it found.
 */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** A TCP port from `env[name]`, or `fallback` when unset. */
export function portFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(name, `expected a port number 0-65535, got "${raw}"`);
  }
  return port;
}

/** A URL from `env[name]` whose scheme is one of `schemes`, or `fallback` when unset. */
export function urlFrom(env: Env, name: string, fallback: string, schemes: readonly string[]): string {
  const raw = env[name];
  const value = raw === undefined || raw === '' ? fallback : raw;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `expected a URL like ${fallback}, got "${value}"`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!schemes.includes(scheme)) {
    throw new ConfigError(name, `expected a ${schemes.join(' or ')} URL, got "${value}"`);
  }
  return value;
}

/** A positive integer from `env[name]`, or `fallback` when unset. */
export function positiveIntFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(name, `expected a positive integer, got "${raw}"`);
  }
  return value;
}

/** A non-empty string from `env[name]`, or `fallback` when unset. */
export function stringFrom(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** Default URLs of the infrastructure, shared by every service and the CLI. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_CLICKHOUSE_URL = 'http://127.0.0.1:8123';

/**
 * `GRAYLANE_NATS_URL`, checked; it may carry credentials (`nats://user:pass@host`), so an error
 * shows the URL with them replaced by `***`.
 */
export function natsUrlFrom(env: Env): string {
  try {
    return urlFrom(env, 'GRAYLANE_NATS_URL', DEFAULT_NATS_URL, ['nats', 'tls', 'ws', 'wss']);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError('GRAYLANE_NATS_URL', error.message.slice('GRAYLANE_NATS_URL: '.length).replace(/"[^"]*"$/, `"${redactNatsUrl(env.GRAYLANE_NATS_URL ?? '')}"`));
  }
}
