import { join } from 'node:path';
import {
  clickHouseServerCommand,
  freePort,
  freePorts,
  generateNatsCredentials,
  httpAnswers,
  LOG_FILES,
  natsServerCommand,
  redisLaunch,
  renderNatsAuthorization,
  startServer,
  tcpAnswers,
  type NatsCredentials,
  type RunningServer,
} from '@graylane/stack';

/** Starts nats-server on a free port, with JetStream (stored in its temp dir) unless `jetstream: false`. */
export function startNats(options: { jetstream?: boolean; authorization?: string } = {}): Promise<RunningServer> {
  const jetstream = options.jetstream ?? true;
  const authorization = options.authorization;
  return startServer({
    name: 'nats-server',
    plan: async (dir) => {
      const port = await freePort();
      return {
        command: natsServerCommand({ port, dir, jetstream, ...(authorization === undefined ? {} : { authorization }) }),
        url: `nats://127.0.0.1:${port}`,
        port,
        logFile: join(dir, LOG_FILES.nats),
        readyLine: /Server is ready/,
        answers: () => tcpAnswers(port),
      };
    },
  });
}

/**
 * Starts `size` nats-servers with JetStream as one cluster (each routes to all), so streams and
 * buckets can have replicas. Clients may connect to any node's `url`. JetStream elects its meta
 * leader a moment after the servers are ready: the first stream request may need a retry.
 */
export async function startNatsCluster(size = 3): Promise<RunningServer[]> {
  const clusterPorts = await freePorts(size);
  const routes = clusterPorts.map((port) => `nats://127.0.0.1:${port}`).join(',');
  return Promise.all(
    clusterPorts.map((clusterPort, index) =>
      startServer({
        name: 'nats-server',
        plan: async (dir) => {
          const port = await freePort();
          const command = natsServerCommand({ port, dir, jetstream: true });
          command.args.push('-n', `node${index + 1}`, '--cluster_name', 'graylane_test', '--cluster', `nats://127.0.0.1:${clusterPort}`, '--routes', routes);
          return {
            command,
            url: `nats://127.0.0.1:${port}`,
            port,
            logFile: join(dir, LOG_FILES.nats),
            readyLine: /Server is ready/,
            answers: () => tcpAnswers(port),
          };
        },
      }),
    ),
  );
}

/** Starts redis-server on a free port without persistence: a restart empties it. */
export function startRedis(): Promise<RunningServer> {
  return startServer({
    name: 'redis-server',
    plan: async (dir) => redisLaunch(dir, await freePort()),
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

/** A nats-server closed by graylane's shipped permissions, and the credentials of every identity. */
export interface ClosedNats extends RunningServer {
  readonly credentials: NatsCredentials;
}

/**
 * Starts nats-server with infra/nats/permissions.conf, a user per service role and one per
 * operator (default: `alice` and `bob`), with random passwords. `url` carries no credentials.
 */
export async function startClosedNats(options: { operators?: readonly string[] } = {}): Promise<ClosedNats> {
  const credentials = generateNatsCredentials(options.operators ?? ['alice', 'bob']);
  const server = await startNats({ authorization: renderNatsAuthorization(credentials) });
  return Object.assign(server, { credentials });
}
