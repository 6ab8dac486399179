import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, waitForHttp, waitForTcp } from './ports.js';

function listen<S extends Server | HttpServer>(server: S, port = 0): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('freePort', () => {
  it('returns a port that can be listened on at once', async () => {
    const port = await freePort();
    const server = await listen(createServer(), port);
    await close(server);
  });
});

describe('waitForTcp', () => {
  it('resolves once something listens, even if that starts later', async () => {
    const port = await freePort();
    const server = createServer();
    setTimeout(() => void listen(server, port), 150);
    await waitForTcp(port, 3_000);
    await close(server);
  });

  it('names the port and the timeout when nothing listens', async () => {
    const port = await freePort();
    await expect(waitForTcp(port, 100)).rejects.toThrow(
      `nothing accepted a TCP connection on 127.0.0.1:${port} within 100 ms`,
    );
  });
});

describe('waitForHttp', () => {
  it('waits for a 200 and not just any answer', async () => {
    let status = 503;
    const server = await listen(createHttpServer((_req, res) => res.writeHead(status).end('Ok.\n')));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const url = `http://127.0.0.1:${address.port}/ping`;

    await expect(waitForHttp(url, 100)).rejects.toThrow(`GET ${url} did not answer 200 within 100 ms`);
    status = 200;
    await waitForHttp(url, 1_000);
    await close(server);
  });
});
