import { join } from 'node:path';
import {
  clickHouseServerCommand,
  LOG_FILES,
  natsServerCommand,
  redisServerCommand,
} from './commands.js';
import { freePort, freePorts, httpAnswers, tcpAnswers } from './ports.js';
import { startServer, type RunningServer } from './supervisor.js';

/** Starts nats-server on a free port, with JetStream (stored in its temp dir) unless `jetstream: false`. */
export function startNats(options: { jetstream?: boolean } = {}): Promise<RunningServer> {
  const jetstream = options.jetstream ?? true;
  return startServer({
    name: 'nats-server',
    plan: async (dir) => {
      const port = await freePort();
      return {
        command: natsServerCommand({ port, dir, jetstream }),
        url: `nats://127.0.0.1:${port}`,
        port,
        logFile: join(dir, LOG_FILES.nats),
        readyLine: /Server is ready/,
        answers: () => tcpAnswers(port),
      };
    },
  });
}

/** Starts redis-server on a free port without persistence: a restart empties it. */
export function startRedis(): Promise<RunningServer> {
  return startServer({
    name: 'redis-server',
    plan: async (dir) => {
      const port = await freePort();
      return {
        command: redisServerCommand({ port, dir }),
        url: `redis://127.0.0.1:${port}`,
        port,
        logFile: join(dir, LOG_FILES.redis),
        readyLine: /Ready to accept connections/,
        answers: () => tcpAnswers(port),
      };
    },
  });
}

/** Starts clickhouse-server with its HTTP interface (the `url`) and native TCP port on free ports. */
export function startClickHouse(): Promise<RunningServer> {
  return startServer({
    name: 'clickhouse-server',
    plan: async (dir) => {
      const [httpPort, tcpPort] = await freePorts(2);
      if (httpPort === undefined || tcpPort === undefined) throw new Error('expected two free ports');
      const url = `http://127.0.0.1:${httpPort}`;
      return {
        command: clickHouseServerCommand({ httpPort, tcpPort, dir }),
        url,
        port: httpPort,
        logFile: join(dir, LOG_FILES.clickHouse),
        readyLine: /Ready for connections/,
        answers: () => httpAnswers(`${url}/ping`),
      };
    },
  });
}
