import { cluster, type Worker } from './cluster.js';
import { createLogger, shutdownBudgetMs } from '@graylane/runtime';
import type { ProxyConfig } from '../config.js';
import { isWorkerMessage, type WorkerMessage } from './messages.js';
import { buildPrimaryAdmin, type WorkerAdmin } from './primary-admin.js';
import { RestartBackoff } from './restart-backoff.js';
import { supportsReusePort } from './listen-options.js';

/**
 * How long the primary waits beyond a worker's own shutdown budget (drain grace + margin, after
 * which the worker exits by itself) before it kills what is left: the worker's exit has to reach it.
 */
const KILL_MARGIN_MS = 5_000;

/**
 * The primary of a multi-worker proxy: keeps `config.workers` workers running (each a full data
 * plane, proxy-process.ts), replaces one that dies after a backoff, serves the admin port for all
 * of them, and on SIGTERM or SIGINT has every worker drain, then exits once all have exited.
 * It serves no proxied traffic itself and holds no NATS or Redis connection.
 */
export function runPrimary(config: ProxyConfig): void {
  const logger = createLogger('graylane-proxy', config.logLevel).child({ proxyId: config.proxyId, role: 'primary' });
  const workers = new Map<number, { worker: Worker; adminPort?: number }>();
  const backoff = new RestartBackoff();
  let restarts = 0;
  let stopping = false;

  const start = (): void => {
    const worker = cluster.fork();
    workers.set(worker.id, { worker });
    worker.on('message', (message: unknown) => {
      const entry = workers.get(worker.id);
      if (entry !== undefined && isWorkerMessage(message) && message.type === 'graylane:admin') entry.adminPort = message.port;
    });
  };

  const admin = buildPrimaryAdmin({
    workers: () =>
      [...workers.values()]
        .filter((entry): entry is { worker: Worker; adminPort: number } => entry.adminPort !== undefined && !entry.worker.isDead())
        .map((entry): WorkerAdmin => ({ id: entry.worker.id, pid: entry.worker.process.pid, port: entry.adminPort }))
        .sort((a, b) => a.id - b.id),
    draining: () => stopping,
    configured: config.workers,
    restarts: () => restarts,
    logger,
  });

  const exitWhenAllGone = (): void => {
    if (!stopping || workers.size > 0) return;
    logger.info('all proxy workers exited');
    admin.close();
    process.exit(0);
  };

  cluster.on('exit', (worker, code, signal) => {
    workers.delete(worker.id);
    if (stopping) return exitWhenAllGone();
    restarts += 1;
    const delayMs = backoff.delayAfterExit(Date.now());
    logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, delayMs }, 'proxy worker died; replacing it');
    setTimeout(() => {
      if (!stopping) start();
    }, delayMs);
  });

  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: workers.size }, 'shutting down: draining every worker');
    const drain: WorkerMessage = { type: 'graylane:drain' };
    for (const { worker } of workers.values()) if (worker.isConnected()) worker.send(drain);
    setTimeout(() => {
      for (const { worker } of workers.values()) worker.process.kill('SIGKILL');
      logger.error({ workers: workers.size }, 'proxy workers did not exit in time; killed');
    }, shutdownBudgetMs(config.forwarding.drainGraceMs) + KILL_MARGIN_MS).unref();
    exitWhenAllGone();
  };
  // A second signal while draining exits at once, as a single-process proxy does.
  const onSignal = (signal: string): void => (stopping ? process.exit(1) : stop(signal));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  admin.once('error', (error) => {
    logger.fatal({ err: error, adminPort: config.adminPort }, 'cannot serve the admin port');
    for (const { worker } of workers.values()) worker.process.kill('SIGKILL');
    process.exit(1);
  });
  // Loopback unless GRAYLANE_ADMIN_HOST publishes it, as in a single-process proxy.
  admin.listen(config.adminPort, config.adminHost, () => {
    logger.info({ port: config.port, adminPort: config.adminPort, adminHost: config.adminHost, workers: config.workers, reusePort: supportsReusePort() }, 'proxy primary listening');
    for (let i = 0; i < config.workers; i++) start();
  });
}
