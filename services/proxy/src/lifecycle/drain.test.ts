import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { DRAIN_IDLE_CLOSE_MS, Drainer } from './drain.js';

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

  it('answers, with connection: close, a request sent on an idle keep-alive connection after the drain began', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const drainer = new Drainer();
    drainer.track(server);
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await getOn(agent, port);
    expect(first).toMatchObject({ status: 200, reused: false, connection: 'keep-alive' });
    // The connection is idle now, as one is between two requests of a busy client.
    const drained = drainer.drain(closableOf(server), 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await getOn(agent, port);
    expect(second).toMatchObject({ status: 200, reused: true, connection: 'close' });
    expect(await drained).toBe(0);
    agent.destroy();
  });

  it('closes a keep-alive connection that stays idle while draining', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const drainer = new Drainer();
    drainer.track(server);
    const port = await listen(server);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect(await getOn(agent, port)).toMatchObject({ status: 200, connection: 'keep-alive' });
    const started = Date.now();
    expect(await drainer.drain(closableOf(server), 5000)).toBe(0);
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(DRAIN_IDLE_CLOSE_MS - 50);
    expect(tookMs).toBeLessThan(DRAIN_IDLE_CLOSE_MS + 1000);
    agent.destroy();
  });
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closableOf(server: Server): { server: Server; close: () => Promise<void> } {
  return { server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A GET on `agent`: its status, whether it reused a keep-alive connection, and its connection header. */
function getOn(agent: Agent, port: number): Promise<{ status: number; reused: boolean; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}
