// HTTP correctness of the data plane against real backends on loopback, with raw sockets where
// a well-behaved client library would refuse to send what is being tested.
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import { rolloutRecord, routingTableOf } from '@graylane/testkit';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { ENGINES } from '../forward/forwarder.js';
import { forwardingConfigFrom } from '../forward/forwarding-config.js';
import { rawExchange as sendRaw } from '../test-support/raw-exchange.js';

const MB = 1024 * 1024;
let app: ProxyApp;
let proxyPort: number;
let backend: Server;
let backendPort: number;
/** Requests the backend saw, by path, so a test can prove one never arrived. */
let seen: { path: string; headers: IncomingHttpHeaders }[] = [];
/** Resolves when the backend's socket of a held request closes. */
let heldClosed: Promise<void> = Promise.resolve();

function routingTable(upstream: string): RoutingTableV1 {
  const upstreams = [upstream];
  return routingTableOf(rolloutRecord({ name: 'all', pathPrefix: '/', weight: 50, stableUpstreams: upstreams, canaryUpstreams: upstreams, updatedAt: '2026-11-26T00:00:00Z' }));
}

/** Sends `raw` bytes on a fresh connection and returns everything the proxy answered until it closed or `ms` passed. */
function rawExchange(raw: string, ms = 1500): Promise<string> {
  return sendRaw(proxyPort, raw, ms);
}

// Live memory, not garbage waiting for the collector: a proxy that buffers keeps the body alive.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Peak growth of live heap + buffers while `work` runs, sampled after a collection every 200 ms. */
async function peakMemoryGrowth(work: () => Promise<unknown>): Promise<number> {
  const used = (): number => {
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, used())), 200);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, used()) - base;
}

/** A stream of `total` bytes made on the fly, never held whole. */
function generated(total: number): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      this.push(size === chunk.length ? chunk : chunk.subarray(0, size));
    },
  });
}

/** `total` bytes where each 4-byte word holds its own offset: a piece sent twice, lost or overwritten shows. */
function positional(total: number): Buffer {
  const body = Buffer.alloc(total);
  for (let offset = 0; offset + 4 <= total; offset += 4) body.writeUInt32BE(offset, offset);
  return body;
}
const PATTERN = positional(8 * MB);

// Every engine behind the Forwarder interface must pass the same checks.
describe.each(ENGINES)('%s engine', (engine) => {
  beforeAll(async () => {
    backend = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      if (req.url === '/upload') {
        let bytes = 0;
        req.on('data', (chunk: Buffer) => (bytes += chunk.length));
        req.on('end', () => res.end(String(bytes)));
        return;
      }
      if (req.url === '/download') {
        res.writeHead(200, { 'content-length': String(100 * MB) });
        generated(100 * MB).pipe(res);
        return;
      }
      if (req.url === '/pattern' || req.url === '/pattern-chunked') {
        // In pieces of varying size, so the proxy's reads and the client's writes never line up.
        if (req.url === '/pattern') res.writeHead(200, { 'content-length': String(PATTERN.length) });
        let offset = 0;
        const next = (): void => {
          while (offset < PATTERN.length) {
            const piece = PATTERN.subarray(offset, offset + 1_000 + (offset % 70_001));
            offset += piece.length;
            if (!res.write(piece)) return void res.once('drain', next);
          }
          res.end();
        };
        next();
        return;
      }
      if (req.url === '/hold') {
        // Reads the body but never answers; the test watches whether the proxy lets go of this connection.
        // (A backend that stops reading stalls the client's socket too, and then only the response timeout frees it.)
        req.resume();
        heldClosed = new Promise((resolve) => req.socket.once('close', () => resolve()));
        return;
      }
      res.writeHead(200, { connection: 'keep-alive, x-hop-response', 'x-hop-response': 'secret', 'keep-alive': 'timeout=5' });
      res.end('ok');
    });
    backend.on('upgrade', (req, socket: Socket, head: Buffer) => {
      // A minimal WebSocket server: the RFC 6455 handshake, then every byte echoed back.
      const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    backendPort = (backend.address() as AddressInfo).port;
    app = buildTestApp({
      proxyId: 'http-test',
      upstreamTimeoutMs: 5000,
      forwarding: forwardingConfigFrom({ GRAYLANE_TRUSTED_PROXIES: '10.0.0.0/8', GRAYLANE_FORWARDING_ENGINE: engine }),
    });
    app.holder.apply(routingTable(`http://127.0.0.1:${backendPort}`), 1);
    await app.dataPlane.listen({ port: 0, host: '127.0.0.1' });
    proxyPort = (app.dataPlane.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app.dataPlane.close();
    app.upstreams.close();
    backend.closeAllConnections();
    await new Promise((resolve) => backend.close(resolve));
  });

  beforeEach(() => {
    seen = [];
  });

  describe('request smuggling and malformed requests', () => {
    it('rejects Content-Length together with Transfer-Encoding: chunked, and the upstream never sees it', async () => {
      const answer = await rawExchange(
        'POST /smuggle-te HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(seen.map((s) => s.path)).toEqual([]);
    });

    it('rejects two different Content-Lengths, and the upstream never sees it', async () => {
      const answer = await rawExchange('POST /smuggle-cl HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 10\r\n\r\nabcd');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(seen).toEqual([]);
    });

    it('rejects oversized headers with 431 and a request line that is not HTTP with 400', async () => {
      expect(await rawExchange(`GET /big HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
      expect(await rawExchange('NOT A REQUEST\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
      expect(seen).toEqual([]);
    });

    it('still forwards a well-formed request on the same kind of raw connection', async () => {
      const answer = await rawExchange('GET /fine HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(seen.map((s) => s.path)).toEqual(['/fine']);
    });
  });

  describe('headers', () => {
    it('drops hop-by-hop and Connection-listed headers both ways', async () => {
      const answer = await rawExchange(
        'GET /hop HTTP/1.1\r\nHost: a\r\nConnection: close, x-hop-request\r\nX-Hop-Request: secret\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nX-Kept: yes\r\n\r\n',
      );
      const headers = seen[0]?.headers ?? {};
      expect(headers['x-kept']).toBe('yes');
      for (const name of ['x-hop-request', 'keep-alive', 'te', 'proxy-authorization']) expect(headers[name]).toBeUndefined();
      expect(answer.toLowerCase()).not.toContain('x-hop-response');
      expect(answer.toLowerCase()).not.toContain('timeout=5');
    });

    it('replaces X-Forwarded-* from an untrusted client instead of believing them', async () => {
      await rawExchange('GET /xff HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n');
      const headers = seen[0]?.headers ?? {};
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-host']).toBe('shop.example');
      expect(headers.via).toBe('1.1 graylane');
    });
  });

  describe('streaming', () => {
    it('streams a 100 MB upload through with flat memory', async () => {
      let answer = '';
      const growth = await peakMemoryGrowth(
        () =>
          new Promise<void>((resolve, reject) => {
            const req = request({ host: '127.0.0.1', port: proxyPort, path: '/upload', method: 'POST', headers: { 'content-length': String(100 * MB) } }, (res) => {
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (answer += chunk));
              res.on('end', resolve);
            });
            req.on('error', reject);
            generated(100 * MB).pipe(req);
          }),
      );
      expect(answer).toBe(String(100 * MB));
      // Backend, proxy and client share this process, so in-flight chunks of all three count;
      // under load that has reached 33 MB. A buffering proxy would hold the whole 100 MB.
      expect(growth).toBeLessThan(50 * MB);
    }, 30_000);

    it('streams a 100 MB download through with flat memory', async () => {
      let bytes = 0;
      const growth = await peakMemoryGrowth(
        () =>
          new Promise<void>((resolve, reject) => {
            request({ host: '127.0.0.1', port: proxyPort, path: '/download' }, (res) => {
              res.on('data', (chunk: Buffer) => (bytes += chunk.length));
              res.on('end', resolve);
            })
              .on('error', reject)
              .end();
          }),
      );
      expect(bytes).toBe(100 * MB);
      // Backend, proxy and client share this process, so in-flight chunks of all three count;
      // under load that has reached 33 MB. A buffering proxy would hold the whole 100 MB.
      expect(growth).toBeLessThan(50 * MB);
    }, 30_000);
  });

  describe('response bodies', () => {
    // The engine reads every upstream connection into one shared buffer: whatever it hands to a
    // client that reads slowly must be its own copy, or later reads would overwrite it in flight.
    it.each(['/pattern', '/pattern-chunked'])('passes an 8 MB body through byte for byte to a client that reads slowly (%s)', async (path) => {
      const received = await new Promise<Buffer>((resolve, reject) => {
        request({ host: '127.0.0.1', port: proxyPort, path }, (res) => {
          const pieces: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            pieces.push(chunk);
            // Stops reading now and then, so the proxy's writes back up and wait in its buffers.
            if (pieces.length % 4 === 0) {
              res.pause();
              setTimeout(() => res.resume(), 10);
            }
          });
          res.on('end', () => resolve(Buffer.concat(pieces)));
        })
          .on('error', reject)
          .end();
      });
      expect(received.length).toBe(PATTERN.length);
      expect(received.equals(PATTERN)).toBe(true);
    }, 30_000);
  });

  describe('connections', () => {
    it('tunnels a WebSocket upgrade and echoes frames both ways', async () => {
      const socket = connect(proxyPort, '127.0.0.1');
      const key = Buffer.from('graylane-ws-test!').toString('base64');
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      socket.write(`GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      await expect.poll(() => received.toString('latin1')).toContain('\r\n\r\n');
      const head = received.toString('latin1');
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      expect(head).toContain(`Sec-WebSocket-Accept: ${createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')}`);
      received = Buffer.alloc(0);
      // A masked text frame "hello" as a browser would send it; the echo server returns the bytes.
      const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, ...Buffer.from('hello').map((b, i) => b ^ [1, 2, 3, 4][i % 4]!)]);
      socket.write(frame);
      await expect.poll(() => received.length).toBe(frame.length);
      expect(received.equals(frame)).toBe(true);
      socket.destroy();
    });

    it('frees the upstream connection when the client disconnects mid-request', async () => {
      const upstream = [...app.upstreams.all()][0];
      const before = upstream?.outstanding ?? 0;
      const socket = connect(proxyPort, '127.0.0.1');
      socket.write('GET /hold HTTP/1.1\r\nHost: a\r\n\r\n');
      await expect.poll(() => seen.some((s) => s.path === '/hold')).toBe(true);
      expect(upstream?.outstanding).toBe(before + 1);
      socket.destroy();
      await heldClosed;
      await expect.poll(() => upstream?.outstanding).toBe(before);
    });

    it('frees the upstream connection when the client goes away halfway through an upload', async () => {
      const socket = connect(proxyPort, '127.0.0.1');
      socket.write(`POST /hold HTTP/1.1\r\nHost: a\r\nContent-Length: ${10 * MB}\r\n\r\n`);
      socket.write(Buffer.alloc(MB));
      await expect.poll(() => seen.some((s) => s.path === '/hold')).toBe(true);
      socket.destroy();
      await heldClosed;
    });
  });
});
