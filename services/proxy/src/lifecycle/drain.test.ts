import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { Drainer } from './drain.js';

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('Drainer', () => {
  it('lets an in-flight request finish, refuses new connections, and reports nothing cut', async () => {
    const app = Fastify();
    let release: () => void = () => undefined;
    app.get('/', async () => new Promise((resolve) => (release = () => resolve('done'))));
    const drainer = new Drainer();
    drainer.track(app.server);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const inFlight = get(port);
    await expect.poll(() => drainer.active).toBe(1);
    const drained = drainer.drain(app, 5000);
    expect(drainer.draining).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100)); // fastify stops listening after its onClose hooks
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
    release();
    expect(await inFlight).toBe(200);
    expect(await drained).toBe(0);
  });

  it('cuts what is still running after the grace period', async () => {
    const server = createServer(() => undefined); // never answers
    const drainer = new Drainer();
    drainer.track(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const hanging = get(port).catch((error: unknown) => error);
    await expect.poll(() => drainer.active).toBe(1);
    const closable = { server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    expect(await drainer.drain(closable, 200)).toBe(1);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
