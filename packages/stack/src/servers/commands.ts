import { join } from 'node:path';
import { findBinary } from '../process/binaries.js';

/**
 * How to run one server: the binary, its arguments, and the files to write before it starts.
 * Shared by the test fixtures and by `graylane up`, which runs the same servers detached.
 */
export interface ServerCommand {
  bin: string;
  args: string[];
  /** Absolute path → content. Written (parents created) before each start. */
  files: Record<string, string>;
}

const LISTEN_HOST = '127.0.0.1';

/** The log file each server writes inside its dir; a failed start quotes its tail. */
export const LOG_FILES = {
  nats: 'nats-server.log',
  redis: 'redis-server.log',
  clickHouse: 'clickhouse-server.log',
} as const;

/** nats-server on 127.0.0.1:port, logging to dir; with JetStream its store is dir/jetstream. */
export function natsServerCommand(o: { port: number; dir: string; jetstream: boolean; authorization?: string }): ServerCommand {
  const args = ['-a', LISTEN_HOST, '-p', String(o.port), '-l', join(o.dir, LOG_FILES.nats)];
  if (o.jetstream) args.push('-js', '-sd', join(o.dir, 'jetstream'));
  if (o.authorization === undefined) return { bin: findBinary('nats-server'), args, files: {} };
  // Users and permissions only exist in a config file; the flags above still set the rest.
  const config = join(o.dir, NATS_AUTH_CONFIG);
  return { bin: findBinary('nats-server'), args: ['-c', config, ...args], files: { [config]: o.authorization } };
}

/** The config file holding a closed NATS's users and passwords, written with mode 0600. */
export const NATS_AUTH_CONFIG = 'nats-auth.conf';

/** redis-server on 127.0.0.1:port with persistence off (no RDB snapshots, no AOF), logging to dir. */
export function redisServerCommand(o: { port: number; dir: string }): ServerCommand {
  return {
    bin: findBinary('redis-server'),
    args: [
      '--port', String(o.port),
      '--bind', LISTEN_HOST,
      '--save', '',
      '--appendonly', 'no',
      '--dir', o.dir,
      '--logfile', join(o.dir, LOG_FILES.redis),
    ],
    files: {},
  };
}

/**
 * clickhouse-server (tested with 18.16) from its own config.xml and users.xml in dir, with its data,
 * tmp files and logs there too. It listens on 127.0.0.1 for HTTP and the native TCP protocol only:
 * without interserver_http_port it opens no replication port, so it cannot collide with another.
 */
export function clickHouseServerCommand(o: { httpPort: number; tcpPort: number; dir: string }): ServerCommand {
  const configPath = join(o.dir, 'config.xml');
  const usersPath = join(o.dir, 'users.xml');
  const path = (name: string): string => xml(`${join(o.dir, name)}/`);
  // Information level, because "Ready for connections." is how the fixture knows it bound its ports.
  const config = `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>information</level>
    <log>${xml(join(o.dir, LOG_FILES.clickHouse))}</log>
    <errorlog>${xml(join(o.dir, 'clickhouse-server.err.log'))}</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>${LISTEN_HOST}</listen_host>
  <http_port>${o.httpPort}</http_port>
  <tcp_port>${o.tcpPort}</tcp_port>
  <path>${path('data')}</path>
  <tmp_path>${path('tmp')}</tmp_path>
  <user_files_path>${path('user_files')}</user_files_path>
  <format_schema_path>${path('format_schemas')}</format_schema_path>
  <users_config>${xml(usersPath)}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <!-- The compiled-in 10 s keeps SIGTERM waiting on idle keep-alive sockets; 3 s is still above
       @clickhouse/client's default idle_socket_ttl (2.5 s), so the client never reuses a closed socket. -->
  <keep_alive_timeout>3</keep_alive_timeout>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
</yandex>
`;
  const users = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default></default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks>
        <ip>127.0.0.1</ip>
        <ip>::1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default></default>
  </quotas>
</yandex>
`;
  return {
    bin: findBinary('clickhouse-server'),
    args: [`--config-file=${configPath}`],
    files: { [configPath]: config, [usersPath]: users },
  };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
