import { describe, expect, it } from 'vitest';
import { clickHouseServerCommand, natsServerCommand, redisServerCommand } from './commands.js';

describe('server commands', () => {
  it('runs nats-server on loopback with JetStream stored in the dir', () => {
    const command = natsServerCommand({ port: 4333, dir: '/srv/nats', jetstream: true });
    expect(command.args).toEqual([
      '-a', '127.0.0.1', '-p', '4333', '-l', '/srv/nats/nats-server.log', '-js', '-sd', '/srv/nats/jetstream',
    ]);
    expect(natsServerCommand({ port: 4333, dir: '/srv/nats', jetstream: false }).args).not.toContain('-js');
  });

  it('runs redis-server with persistence off', () => {
    expect(redisServerCommand({ port: 6390, dir: '/srv/redis' }).args).toEqual([
      '--port', '6390', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', '/srv/redis', '--logfile', '/srv/redis/redis-server.log',
    ]);
  });

  it('writes ClickHouse config and users files into the dir, naming both ports and no other', () => {
    const command = clickHouseServerCommand({ httpPort: 18123, tcpPort: 19000, dir: '/srv/ch' });
    expect(command.args).toEqual(['--config-file=/srv/ch/config.xml']);
    expect(Object.keys(command.files).sort()).toEqual(['/srv/ch/config.xml', '/srv/ch/users.xml']);
    const config = command.files['/srv/ch/config.xml'] ?? '';
    expect(config).toContain('<http_port>18123</http_port>');
    expect(config).toContain('<tcp_port>19000</tcp_port>');
    expect(config).toContain('<path>/srv/ch/data/</path>');
    expect(config).toContain('<users_config>/srv/ch/users.xml</users_config>');
    expect(config).not.toContain('interserver_http_port');
    expect(config).not.toContain('/var/');
  });
});
