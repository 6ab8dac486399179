import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { redisLaunch as redisServerLaunch } from '../servers/redis-launch.js';
import { freePort, tcpAnswers } from './ports.js';
import { ServerStartError, startServer, type Launch } from './supervisor.js';

function redisLaunch(dir: string, port: number, change: Partial<Launch> = {}): Launch {
  return { ...redisServerLaunch(dir, port), ...change };
}

describe('startServer', { timeout: 30_000 }, () => {
  it('tries fresh ports when another process took the planned one', async () => {
    const squatter = await new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
    const address = squatter.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const planned: number[] = [];

    const server = await startServer({
      name: 'redis-server',
      plan: async (dir) => {
        const port = planned.length === 0 ? address.port : await freePort();
        planned.push(port);
        return redisLaunch(dir, port);
      },
    });
    squatter.close();

    expect(planned).toHaveLength(2);
    expect(planned[0]).toBe(address.port);
    expect(server.port).toBe(planned[1]);
    expect(await tcpAnswers(server.port)).toBe(true);
    await server.stop();
  });

  it('fails with the server output when it exits, and leaves no dir behind', async () => {
    let dir = '';
    const start = startServer({
      name: 'redis-server',
      plan: async (planDir) => {
        dir = planDir;
        const launch = redisLaunch(planDir, await freePort());
        launch.command.args.push('--no-such-directive', 'x');
        return launch;
      },
    });

    await expect(start).rejects.toThrow(ServerStartError);
    await expect(start).rejects.toThrow(/redis-server on port \d+ exited \(code 1\) before it was ready/);
    await expect(start).rejects.toThrow(/Bad directive or wrong number of arguments/);
    expect(existsSync(dir)).toBe(false);
  });

  it('gives up after the timeout with the tail of the log, and kills the server', async () => {
    const port = await freePort();
    const start = startServer({
      name: 'redis-server',
      startTimeoutMs: 500,
      plan: async (dir) => redisLaunch(dir, port, { readyLine: /a line redis never logs/ }),
    });

    await expect(start).rejects.toThrow(/redis-server on port \d+ was not ready within 500 ms/);
    await expect(start).rejects.toThrow(/--- last lines of .*redis-server\.log ---\n[^]*Ready to accept connections/);
    expect(await tcpAnswers(port)).toBe(false);
  });
});
