// The request path as an attacker would try it: the real data plane and a real backend on
// loopback, raw sockets for what a well-behaved client library would refuse to send.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import { rolloutRecord, routingTableOf } from '@graylane/testkit';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { ENGINES } from '../forward/forwarder.js';
import { forwardingConfigFrom } from '../forward/forwarding-config.js';

const BODY_IDLE_MS = 400;
/** The slowest body rate let through: 400 bytes in each 400 ms window. */
const BODY_MIN_RATE = 1_000;
/** Upstream connections per endpoint, few so that slow clients can take them all. */
const MAX_UPSTREAM_CONNECTIONS = 4;
const HEADER_TIMEOUT_MS = 1_000;

let app: ProxyApp;
let proxyPort: number;
let backend: Server;
/** Requests the backend saw, so a test can prove one never arrived. */
let seen: { path: string; headers: IncomingHttpHeaders }[] = [];
/** Resolves when the backend's connection of the last /hold request closes. */
let heldClosed: Promise<void> = Promise.resolve();

function routingTable(upstream: string): RoutingTableV1 {
  const upstreams = [upstream];
  return routingTableOf(rolloutRecord({ name: 'all', pathPrefix: '/', weight: 50, stableUpstreams: upstreams, canaryUpstreams: upstreams, updatedAt: '2026-12-02T00:00:00Z' }));
}

/** What a raw connection got back, and how it ended. */
interface RawAnswer {
  text: string;
  /** the socket error, if the connection ended with one (EPIPE, ECONNRESET) */
  error: string | undefined;
  /** ms from the first write to the close */
  elapsedMs: number;
}

/**
 * Writes `parts` on a fresh connection, each after the previous one went out plus `gapMs`, and
 * reads the answer only after the last one went out (as a client that sends its whole request
 * before reading does; `readEarly`: as it arrives), until the proxy closes or `ms` passed.
 */
function rawExchange(parts: string | string[], options: { ms?: number; gapMs?: number; readEarly?: boolean } = {}): Promise<RawAnswer> {
  const chunks = typeof parts === 'string' ? [parts] : parts;
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(proxyPort, '127.0.0.1');
    let text = '';
    let error: string | undefined;
    socket.setEncoding('latin1');
    if (options.readEarly !== true) socket.pause();
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on('close', () => resolve({ text, error, elapsedMs: performance.now() - started }));
    socket.setTimeout(options.ms ?? 1500, () => socket.destroy());
    let next = 0;
    const writeNext = (): void => {
      if (next === chunks.length) {
        socket.resume();
        return;
      }
      socket.write(chunks[next++]!, 'latin1', (e) => {
        if (e === undefined || e === null) setTimeout(writeNext, options.gapMs ?? 0);
      });
    };
    writeNext();
  });
}

/** The error body of a raw answer. */
function errorOf(answer: RawAnswer): { code: string; message: string } {
  return (JSON.parse(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } }).error;
}

describe.each(ENGINES)('%s engine', (engine) => {
  beforeAll(async () => {
    backend = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      if (req.url === '/hold') heldClosed = new Promise((resolve) => req.socket.once('close', () => resolve()));
      let bytes = 0;
      const count = (): void => void req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      // Takes its time before reading: the client's body waits in buffers meanwhile, which is no stall of the client's.
      if (req.url === '/late-reader') setTimeout(count, BODY_IDLE_MS * 3);
      else count();
      req.on('end', () => res.end(`got ${bytes}`));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    app = buildTestApp({
      proxyId: 'hardening-test',
      upstreamTimeoutMs: 10_000,
      forwarding: forwardingConfigFrom({
        GRAYLANE_TRUSTED_PROXIES: '10.0.0.0/8',
        GRAYLANE_FORWARDING_ENGINE: engine,
        GRAYLANE_UPSTREAM_MAX_CONNECTIONS: String(MAX_UPSTREAM_CONNECTIONS),
      }),
      clientLimits: { headerTimeoutMs: HEADER_TIMEOUT_MS, bodyIdleTimeoutMs: BODY_IDLE_MS, bodyMinBytesPerSecond: BODY_MIN_RATE },
    });
    app.holder.apply(routingTable(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`), 1);
    await app.dataPlane.listen({ port: 0, host: '127.0.0.1' });
    proxyPort = (app.dataPlane.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    app.dataPlane.server.closeAllConnections();
    await app.dataPlane.close();
    await app.forwarder.close();
    app.upstreams.close();
    backend.closeAllConnections();
    await new Promise((resolve) => backend.close(resolve));
  });

  beforeEach(() => {
    seen = [];
  });

  describe('slow clients', () => {
    it('answers 408 to a body that stops arriving and frees the upstream connection', async () => {
      const answer = rawExchange(['POST /hold HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n', 'x'], { ms: 5_000 });
      await expect.poll(() => seen.some((s) => s.path === '/hold')).toBe(true);
      const upstream = [...app.upstreams.all()][0];
      expect(upstream?.outstanding).toBe(1);
      const { text, elapsedMs } = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(errorOf(await answer).code).toBe('GRAYLANE_VALIDATION');
      expect(elapsedMs).toBeLessThan(BODY_IDLE_MS * 3);
      // The upstream side of that request is closed, not left waiting for the other 9 bytes.
      await heldClosed;
      await expect.poll(() => upstream?.outstanding).toBe(0);
    });

    it('serves a normal request while more slow bodies than upstream connections dribble in at 1 byte/s', async () => {
      // The attack in small: every upstream connection held by a body that sends a byte a second.
      const slow = Array.from({ length: MAX_UPSTREAM_CONNECTIONS + 2 }, () =>
        rawExchange(['POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nx', ...'x'.repeat(99)], { ms: 10_000, gapMs: 1_000, readEarly: true }),
      );
      await expect.poll(() => seen.filter((s) => s.path === '/slow').length).toBe(MAX_UPSTREAM_CONNECTIONS);
      const started = performance.now();
      const { text } = await rawExchange('GET /normal HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { ms: 10_000 });
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      // It waits for a slow body to be cut (one idle timeout and a half at most), not for the slow bodies to end.
      expect(performance.now() - started).toBeLessThan(BODY_IDLE_MS * 1.5 + 1_000);
      for (const answer of await Promise.all(slow)) expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('lets a slow body through as long as it keeps the minimum rate', async () => {
      // 500 bytes every 50 ms: ten times the minimum, so a window of 400 ms sees it even if the test's own timers lag.
      const parts = ['POST /trickle HTTP/1.1\r\nHost: a\r\nContent-Length: 6000\r\nConnection: close\r\n\r\n', ...Array.from({ length: 12 }, () => 'x'.repeat(500))];
      const { text } = await rawExchange(parts, { ms: 5_000, gapMs: 50 });
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text).toContain('got 6000');
    });

    it('answers 408 to a body that keeps coming, but below the minimum rate', async () => {
      // 20 bytes every 100 ms (200 bytes/s, a fifth of the minimum): never idle, so only the rate rule ends it.
      const parts = ['POST /dribble HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n', ...Array.from({ length: 60 }, () => 'y'.repeat(20))];
      const answer = await rawExchange(parts, { ms: 10_000, gapMs: 100, readEarly: true });
      expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(errorOf(answer).message).toMatch(/^the request body sent \d+ bytes in 400 ms, below the minimum of 1000 bytes\/s$/);
      // Judged over one window and a half at most; the 60 parts would take 6 s.
      expect(answer.elapsedMs).toBeLessThan(BODY_IDLE_MS * 1.5 + 2_000);
    });

    it('does not count an upstream that is slow to read as a stalled client', async () => {
      const size = 8 * 1024 * 1024;
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: proxyPort, path: '/late-reader', method: 'POST', headers: { 'content-length': String(size) } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end(Buffer.alloc(size, 0x61));
      });
      expect(answer).toEqual({ status: 200, body: `got ${size}` });
    });

    it('does not leave a client waiting forever behind a chunk size of 2^64 - 1', async () => {
      // Node 20 and 26 (llhttp 9.3/9.4) both accept 16 hex digits and then wait for the data;
      // graylane cannot see chunk sizes, so the body idle timeout ends it.
      const { text, elapsedMs } = await rawExchange('POST /huge-chunk HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc', { ms: 5_000 });
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(elapsedMs).toBeLessThan(BODY_IDLE_MS * 3);
    });

    it('answers 408 to a request head that does not arrive in time', async () => {
      const { text, elapsedMs } = await rawExchange('GET /slow-head HTTP/1.1\r\nHost: a\r\n', { ms: 10_000 });
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      // Node checks heads at most once a second.
      expect(elapsedMs).toBeLessThan(HEADER_TIMEOUT_MS + 2_500);
      expect(seen).toEqual([]);
    });
  });

  describe('malformed and ambiguous requests', () => {
    it('answers 400 to two Host headers, and the upstream never sees the request', async () => {
      const answer = await rawExchange('GET /two-hosts HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n');
      expect(answer.text).toMatch(/^HTTP\/1\.1 400 /);
      expect(errorOf(answer)).toMatchObject({ code: 'GRAYLANE_VALIDATION', message: 'the request has more than one Host header' });
      expect(seen).toEqual([]);
    });

    it('answers 400 to a request line without a version and 505 to HTTP/2.0', async () => {
      expect((await rawExchange('GET /no-version\r\nHost: a\r\n\r\n')).text).toMatch(/^HTTP\/1\.1 400 /);
      expect((await rawExchange('GET /h2 HTTP/2.0\r\nHost: a\r\n\r\n')).text).toMatch(/^HTTP\/1\.1 505 /);
      expect(seen).toEqual([]);
    });

    it('answers CONNECT with 501 and an error body instead of closing silently', async () => {
      const answer = await rawExchange('CONNECT internal.example:443 HTTP/1.1\r\nHost: internal.example:443\r\n\r\n');
      expect(answer.text).toMatch(/^HTTP\/1\.1 501 /);
      expect(errorOf(answer).code).toBe('GRAYLANE_VALIDATION');
      expect(errorOf(answer).message).toContain('CONNECT');
    });

    it('answers 431 to a 70 KB header sent in pieces, read by the client only after it sent it all', async () => {
      const head = ['GET /big HTTP/1.1\r\nHost: a\r\nX-Big: ', ...Array.from({ length: 7 }, () => 'a'.repeat(10_000)), '\r\n\r\n'];
      const answer = await rawExchange(head, { ms: 5_000, gapMs: 20 });
      // Closing at once resets the connection while the client still sends: EPIPE, and no 431.
      expect(answer.error).toBeUndefined();
      expect(answer.text).toMatch(/^HTTP\/1\.1 431 /);
      expect(seen).toEqual([]);
    });
  });

  describe('headers', () => {
    it('keeps Host and Content-Length when Connection names them', async () => {
      const { text } = await rawExchange('POST /conn-host HTTP/1.1\r\nHost: shop.example\r\nConnection: close, host, content-length\r\nContent-Length: 4\r\n\r\nabcd');
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text).toContain('got 4');
      expect(seen[0]?.headers.host).toBe('shop.example');
      expect(seen[0]?.headers['content-length']).toBe('4');
    });

    it('drops Forwarded and X-Real-IP from an untrusted client', async () => {
      await rawExchange('GET /spoof HTTP/1.1\r\nHost: a\r\nForwarded: for=6.6.6.6;proto=https\r\nX-Real-IP: 6.6.6.6\r\nConnection: close\r\n\r\n');
      expect(seen.map((s) => s.path)).toEqual(['/spoof']);
      expect(seen[0]?.headers.forwarded).toBeUndefined();
      expect(seen[0]?.headers['x-real-ip']).toBeUndefined();
      expect(seen[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
    });
  });
});
