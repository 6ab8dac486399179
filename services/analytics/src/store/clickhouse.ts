import { createClient, type ClickHouseClient, type Logger as ClientLogger, type LogParams } from '@clickhouse/client';
import type { Logger } from '@graylane/runtime';

export type { ClickHouseClient } from '@clickhouse/client';

/**
 * Shorter than the metrics consumer's ack wait (30 s), so that a hung insert fails and is retried
 * before JetStream gives its messages to another replica.
 */
export const CLICKHOUSE_REQUEST_TIMEOUT_MS = 20_000;

/**
 * A ClickHouse HTTP client that sends no database, settings or query parameters, because
 * ClickHouse 18.16 rejects the `param_*` settings newer servers accept: statements name their
 * tables as `database.table` and carry their literals through {@link sqlString}.
 */
export function createClickHouse(url: string, logger: Logger): ClickHouseClient {
  return createClient({
    url,
    application: 'graylane-analytics',
    request_timeout: CLICKHOUSE_REQUEST_TIMEOUT_MS,
    // 18.16 closes idle keep-alive sockets after 3 s; reusing one later fails the request.
    keep_alive: { enabled: true, idle_socket_ttl: 2_000 },
    log: { LoggerClass: pinoLoggerClass(logger) },
  });
}

/**
 * The client logs to the console by default; this sends its lines to our pino logger instead.
 * Its request errors go to debug because every caller logs the failure it acts on.
 */
function pinoLoggerClass(logger: Logger): new () => ClientLogger {
  const log = logger.child({ module: 'clickhouse-client' });
  const fields = ({ module, args }: LogParams): Record<string, unknown> => ({ clientModule: module, ...args });
  return class PinoClickHouseLogger implements ClientLogger {
    trace(params: LogParams): void {
      log.trace(fields(params), params.message);
    }
    debug(params: LogParams): void {
      log.debug(fields(params), params.message);
    }
    info(params: LogParams): void {
      log.info(fields(params), params.message);
    }
    warn(params: LogParams & { err?: Error }): void {
      log.warn({ ...fields(params), err: params.err }, params.message);
    }
    error(params: LogParams & { err: Error }): void {
      log.debug({ ...fields(params), err: params.err }, params.message);
    }
  };
}

/** A ClickHouse string literal: quotes and backslashes escaped, so any text is safe to splice. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A whole number as SQL text; throws on anything else so that no text is spliced by mistake. */
export function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`expected a whole number for SQL, got ${value}`);
  return String(value);
}
