import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * A pino JSON logger on stdout for one service. Cookies, authorization headers and secrets are
 * redacted wherever they appear in a logged object.
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.headers.cookie', '*.headers.authorization', 'headers.cookie', 'headers.authorization', '*.secret', '*.token'],
      censor: '[redacted]',
    },
  });
}
