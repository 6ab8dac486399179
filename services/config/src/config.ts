import { natsUrlFrom, portFrom, stringFrom, type Env } from '@graylane/runtime';

/** The config service's settings, read once from the environment. */
export interface ConfigServiceConfig {
  readonly port: number;
  readonly natsUrl: string;
  /** When set, the HTTP command API requires `Authorization: Bearer <token>`. */
  readonly apiToken: string | undefined;
  readonly logLevel: string;
}

export function loadConfig(env: Env): ConfigServiceConfig {
  return Object.freeze({
    port: portFrom(env, 'PORT', 8081),
    natsUrl: natsUrlFrom(env),
    apiToken: env.GRAYLANE_CONFIG_TOKEN === '' ? undefined : env.GRAYLANE_CONFIG_TOKEN,
    logLevel: stringFrom(env, 'LOG_LEVEL', 'info'),
  });
}
