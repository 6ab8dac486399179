// The native engine's pool and request side against real sockets on loopback: reuse, the bound on
// connections, the idle timeout, a chunked upload, and a retry past a dead endpoint.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import { rolloutRecord, routingTableOf } from '@graylane/testkit';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { forwardingConfigFrom } from './forwarding-config.js';

interface Backend {
  server: Server;
  url: string;
  /** Connections accepted, and how many of them have closed. */
  opened: number;
  closed: number;
  /** Bytes of the last request body received, and whether it came chunked. */
  lastBody: { bytes: number; chunked: boolean } | undefined;
  /** The last request's Expect header. */
  lastExpect?: string | undefined;
}

async function startBackend(delayMs = 0): Promise<Backend> {
  const backend: Backend = { server: createServer(), url: '', opened: 0, closed: 0, lastBody: undefined };
  backend.server.on('connection', (socket: Socket) => {
    backend.opened += 1;
    socket.on('close', () => (backend.closed += 1));
  });
  backend.server.on('request', (req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      backend.lastBody = { bytes, chunked: req.headers['transfer-encoding'] === 'chunked' };
      backend.lastExpect = req.headers.expect;
      setTimeout(() => res.end(`ok ${bytes}`), delayMs);
    });
  });
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  backend.url = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  return backend;
}

/** A loopback port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function table(upstreams: string[]): RoutingTableV1 {
  return routingTableOf(rolloutRecord({ name: 'all', pathPrefix: '/', weight: 0, stableUpstreams: upstreams, canaryUpstreams: upstreams, updatedAt: '2026-12-02T00:00:00Z' }));
}

let app: ProxyApp | undefined;
const backends: Backend[] = [];

async function startProxy(upstreams: string[], env: Record<string, string> = {}): Promise<number> {
  app = buildTestApp({
    proxyId: 'native-test',
    forwarding: forwardingConfigFrom({ GRAYLANE_LB_POLICY: 'round-robin', ...env }),
  });
  app.holder.apply(table(upstreams), 1);
  await app.dataPlane.listen({ port: 0, host: '127.0.0.1' });
  return (app.dataPlane.server.address() as AddressInfo).port;
}

function send(port: number, options: { method?: string; body?: Buffer[]; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const piece of options.body ?? []) req.write(piece);
    req.end();
  });
}

afterEach(async () => {
  if (app !== undefined) {
    await app.dataPlane.close();
    await app.forwarder.close();
    app.upstreams.close();
  }
  app = undefined;
  for (const backend of backends.splice(0)) {
    backend.server.closeAllConnections();
    await new Promise((resolve) => backend.server.close(resolve));
  }
});

describe('native engine', () => {
  it('reuses one keep-alive connection for requests one after another', async () => {
    const backend = await startBackend();
    backends.push(backend);
    const port = await startProxy([backend.url]);
    for (let i = 0; i < 5; i++) expect(await send(port)).toEqual({ status: 200, body: 'ok 0' });
    expect(backend.opened).toBe(1);
  });

  it('opens no more than GRAYLANE_UPSTREAM_MAX_CONNECTIONS and queues the rest', async () => {
    const backend = await startBackend(50);
    backends.push(backend);
    const port = await startProxy([backend.url], { GRAYLANE_UPSTREAM_MAX_CONNECTIONS: '2' });
    const answers = await Promise.all(Array.from({ length: 6 }, () => send(port)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(backend.opened).toBe(2);
  });

  it('closes an idle connection after GRAYLANE_UPSTREAM_IDLE_TIMEOUT_MS', async () => {
    const backend = await startBackend();
    backends.push(backend);
    const port = await startProxy([backend.url], { GRAYLANE_UPSTREAM_IDLE_TIMEOUT_MS: '200' });
    await send(port);
    expect(backend.closed).toBe(0);
    await expect.poll(() => backend.closed, { timeout: 1500 }).toBe(1);
    // The next request opens a fresh connection and is served.
    expect((await send(port)).status).toBe(200);
    expect(backend.opened).toBe(2);
  });

  it('sends a chunked upload on re-chunked, whole', async () => {
    const backend = await startBackend();
    backends.push(backend);
    const port = await startProxy([backend.url]);
    const pieces = [Buffer.alloc(10_000, 1), Buffer.alloc(1, 2), Buffer.alloc(70_000, 3)];
    // No Content-Length: Node's client sends the body chunked.
    expect(await send(port, { method: 'POST', body: pieces })).toEqual({ status: 200, body: 'ok 80001' });
    expect(backend.lastBody).toEqual({ bytes: 80_001, chunked: true });
    expect(await send(port, { method: 'POST', body: pieces, headers: { 'content-length': '80001' } })).toEqual({ status: 200, body: 'ok 80001' });
    expect(backend.lastBody).toEqual({ bytes: 80_001, chunked: false });
  });

  it('lets a client that expects 100-continue send its body: Node answers the 100, Expect is not forwarded', async () => {
    const backend = await startBackend();
    backends.push(backend);
    const port = await startProxy([backend.url]);
    const answer = await new Promise<{ status: number; body: string; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = request({ host: '127.0.0.1', port, path: '/', method: 'POST', headers: { expect: '100-continue', 'content-length': '5' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, continued }));
      });
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('error', reject);
    });
    expect(answer).toEqual({ status: 200, body: 'ok 5', continued: true });
    expect(backend.lastExpect).toBeUndefined();
  });

  it('retries a GET on the next endpoint when one refuses connections', async () => {
    const backend = await startBackend();
    backends.push(backend);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const port = await startProxy([dead, backend.url]);
    const answers = await Promise.all(Array.from({ length: 4 }, () => send(port)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
  });

  it('refuses an https upstream whose certificate it cannot verify', async () => {
    // Certificates are checked as Node's https client checks them: a self-signed one is a 502, not a silent downgrade.
    const dir = mkdtempSync(join(tmpdir(), 'graylane-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      let served = 0;
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
        served += 1;
        res.end('secret');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      backends.push({ server, url: '', opened: 0, closed: 0, lastBody: undefined });
      const port = await startProxy([`https://127.0.0.1:${(server.address() as AddressInfo).port}`]);
      const answer = await send(port);
      expect(answer.status).toBe(502);
      expect(answer.body).toMatch(/self[- ]signed certificate/);
      expect(served).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers requests still waiting with 502 when the engine closes (shutdown), instead of leaving them hanging', async () => {
    const backend = await startBackend(3000);
    backends.push(backend);
    const port = await startProxy([backend.url]);
    const pending = send(port);
    await expect.poll(() => backend.opened).toBe(1);
    await app?.forwarder.close();
    const answer = await pending;
    expect(answer.status).toBe(502);
    expect(answer.body).toContain('shutting down');
  });

  it('answers 502 naming the pool when a POST meets a dead endpoint (never replayed)', async () => {
    const port = await startProxy([`http://127.0.0.1:${await freePort()}`]);
    const answer = await send(port, { method: 'POST', body: [Buffer.from('x')] });
    expect(answer.status).toBe(502);
    expect(answer.body).toContain('"pool":"v1"');
    expect(answer.body).toContain('upstream unavailable');
  });
});
