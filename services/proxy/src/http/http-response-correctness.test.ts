// HTTP correctness of what comes back from an upstream: a raw TCP backend answers each path with
// exact bytes, so every response-side framing rule can be tried, including the ones a well-behaved
// server library would never send. Each case names what a naive parser (split the head on CRLF,
// trust the first Content-Length, read that many bytes) would get wrong.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingTableV1 } from '@graylane/contracts';
import { rolloutRecord, routingTableOf } from '@graylane/testkit';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { forwardingConfigFrom } from '../forward/forwarding-config.js';
import { ENGINES } from '../forward/forwarder.js';
import { rawExchange as sendRaw } from '../test-support/raw-exchange.js';

/** What the raw backend answers, by request path. */
const ANSWERS: Record<string, string> = {
  '/raw/cl-te': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled',
  '/raw/two-cl': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 12\r\n\r\nokHTTP/1.1 2',
  '/raw/nul': 'HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 2\r\n\r\nok',
  '/raw/space-before-colon': 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok',
  '/raw/status': 'HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok',
  '/raw/obs-fold': 'HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nContent-Length: 2\r\n\r\nok',
  '/raw/chunk-overflow': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n',
  '/raw/chunked': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer-Secret: t\r\n\r\n',
  '/raw/continue': 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal',
  '/raw/early-hints': 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal',
  '/raw/head': 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n',
  '/raw/204': 'HTTP/1.1 204 No Content\r\n\r\n',
  '/raw/304': 'HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n',
  '/raw/after': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter',
  '/raw/switch': 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  '/raw/extra': 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextraHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged',
};
/** Every byte value, then the same 80 times over (20 480 bytes): small and large bodies must pass byte for byte. */
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');
const LARGE_BINARY = EVERY_BYTE.repeat(80);
ANSWERS['/raw/binary'] = `HTTP/1.1 200 OK\r\nContent-Length: 256\r\n\r\n${EVERY_BYTE}`;
ANSWERS['/raw/binary-large'] = `HTTP/1.1 200 OK\r\nContent-Length: ${LARGE_BINARY.length}\r\n\r\n${LARGE_BINARY}`;

/** The last request head the backend received, by path, as bytes (latin1). */
const received = new Map<string, string>();
/** Paths the backend reads and never answers. */
const SILENT = new Set(['/raw/silent']);
/** Answers that end by closing the connection (body until close, or cut short). */
const THEN_CLOSE: Record<string, string> = {
  '/raw/until-close': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nread until the upstream closes',
  '/raw/cut': 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part',
};

let app: ProxyApp;
let proxyPort: number;
let backend: Server;
/** Backend connections closed so far: a refused response must not leave its connection pooled. */
let closed = 0;

function table(upstream: string): RoutingTableV1 {
  const upstreams = [upstream];
  return routingTableOf(rolloutRecord({ name: 'raw', pathPrefix: '/raw/', weight: 0, stableUpstreams: upstreams, canaryUpstreams: upstreams, updatedAt: '2026-12-02T00:00:00Z' }));
}

/** Sends `raw` on one client connection and returns everything answered until it closed or `ms` passed. */
function exchange(raw: string, ms = 1500): Promise<string> {
  return sendRaw(proxyPort, raw, ms);
}

const get = (path: string, method = 'GET'): string => `${method} ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`;

describe.each(ENGINES)('responses from the upstream, %s engine', (engine) => {
  beforeAll(async () => {
    backend = createServer((socket: Socket) => {
      socket.on('close', () => (closed += 1));
      let pending = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\r\n\r\n')) !== -1) {
          const path = pending.slice(0, end).split(' ')[1] ?? '';
          received.set(path, pending.slice(0, end));
          pending = pending.slice(end + 4);
          const last = THEN_CLOSE[path];
          if (SILENT.has(path)) continue;
          if (last !== undefined) socket.end(last, 'latin1');
          else socket.write(ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 'latin1');
        }
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    app = buildTestApp({
      proxyId: 'response-test',
      forwarding: forwardingConfigFrom({ GRAYLANE_FORWARDING_ENGINE: engine, GRAYLANE_RETRY_BUDGET_PERCENT: '1' }),
    });
    app.holder.apply(table(`http://127.0.0.1:${(backend.address() as AddressInfo).port}`), 1);
    await app.dataPlane.listen({ port: 0, host: '127.0.0.1' });
    proxyPort = (app.dataPlane.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app.dataPlane.close();
    await app.forwarder.close();
    app.upstreams.close();
    await new Promise((resolve) => backend.close(resolve));
  });

  /** Asserts a 502 naming the pool and upstream, and that the backend connection it came on was closed. */
  async function expectRefused(path: string): Promise<string> {
    const closedBefore = closed;
    const answer = await exchange(get(path));
    expect(answer).toMatch(/^HTTP\/1\.1 502 /);
    expect(answer).toContain('"pool":"v1"');
    expect(answer).toMatch(/"upstream":"http:\/\/127\.0\.0\.1:\d+"/);
    await expect.poll(() => closed).toBeGreaterThan(closedBefore);
    return answer;
  }

  describe('refused framing: 502, connection destroyed, nothing passed through', () => {
    // A naive parser trusts Content-Length: 5 and hands the client "0\r\n\r\nHTTP/…smuggled" bytes.
    it('Content-Length together with Transfer-Encoding', async () => {
      expect(await expectRefused('/raw/cl-te')).not.toContain('smuggled');
    });
    // A naive parser takes the first (2) and leaves "HTTP/1.1 2" to be read as the next response.
    it('two different Content-Lengths', async () => {
      expect(await expectRefused('/raw/two-cl')).not.toContain('okHTTP');
    });
    // A naive parser copies the NUL into the client's headers.
    it('a NUL in a header value', async () => {
      expect(await expectRefused('/raw/nul')).not.toContain('a\x00b');
    });
    // A naive parser trims the name and honours "Content-Length " (RFC 9112 §5.1: must reject).
    it('whitespace between a header name and the colon', async () => {
      await expectRefused('/raw/space-before-colon');
    });
    // A naive parser reads Number("2OO") as NaN or 2 and answers something.
    it('a status line whose code is not three digits', async () => {
      await expectRefused('/raw/status');
    });
    // A naive parser passes " folded" on as a header line or a header name.
    it('an obs-folded header line', async () => {
      await expectRefused('/raw/obs-fold');
    });
  });

  it('cuts the client off when a chunk size overflows, instead of waiting for 2^64 bytes', async () => {
    // A naive parseInt(…, 16) reads 1.8e19 and waits forever for the chunk (or wraps to -1).
    const started = Date.now();
    const closedBefore = closed;
    const answer = await exchange(get('/raw/chunk-overflow'), 3000);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(answer).not.toContain('abc');
    expect(answer).not.toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\n0\r\n\r\n$/);
    await expect.poll(() => closed).toBeGreaterThan(closedBefore);
  });

  it('passes a chunked body through whole, extensions and trailers dropped', async () => {
    const answer = await exchange(get('/raw/chunked'));
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.replace(/\r\n[0-9a-f]+\r\n/g, '')).toContain('hello world');
    expect(answer).not.toContain('ext=1');
    expect(answer).not.toContain('X-Trailer-Secret');
  });

  // A body's last piece goes to the client as a latin1 string when small (native-exchange.ts):
  // every byte value must come back unchanged on both sides of that size limit.
  it.each([
    ['/raw/binary', EVERY_BYTE],
    ['/raw/binary-large', LARGE_BINARY],
  ])('passes a binary body through byte for byte (%s)', async (path, body) => {
    const answer = await exchange(get(path));
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe(body);
  });

  it('waits past 100 Continue for the final answer', async () => {
    // A naive parser takes the 100 as the answer, with no body.
    const answer = await exchange(get('/raw/continue'));
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.endsWith('final')).toBe(true);
  });

  it('passes 103 Early Hints on as an informational response, then the final answer', async () => {
    const answer = await exchange(get('/raw/early-hints'));
    expect(answer).toMatch(/^HTTP\/1\.1 103 Early Hints\r\nLink: <\/style\.css>; rel=preload; as=style\r\n\r\nHTTP\/1\.1 200 /);
    expect(answer.endsWith('final')).toBe(true);
  });

  it('reads no body after HEAD, 204 and 304, and the connection serves the next request', async () => {
    // A naive parser waits for HEAD's or 304's Content-Length bytes and eats the next response as body.
    const raw = (path: string, method: string): string => `${method} ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const answer = await exchange(`${raw('/raw/head', 'HEAD')}${raw('/raw/204', 'GET')}${raw('/raw/304', 'GET')}${get('/raw/after')}`);
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '204', '304', '200']);
    expect(answer.endsWith('after')).toBe(true);
  });

  it('reads a body without framing until the upstream closes', async () => {
    const answer = await exchange(get('/raw/until-close'));
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('read until the upstream closes');
  });

  it('cuts the client off when the upstream closes before its Content-Length is reached', async () => {
    // A naive proxy ends the client's response cleanly, and a cache keeps the truncated body.
    const answer = await exchange(get('/raw/cut'));
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/content-length: 100/i);
    expect(answer.slice(answer.indexOf('\r\n\r\n') + 4).length).toBeLessThan(100);
  });

  it('answers 504 naming the pool when the upstream stays silent past GRAYLANE_UPSTREAM_TIMEOUT_MS, and drops that connection', async () => {
    const closedBefore = closed;
    const started = Date.now();
    const answer = await exchange(get('/raw/silent'), 4000);
    const elapsed = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 504 /);
    expect(answer).toContain('"pool":"v1"');
    // upstreamTimeoutMs is 2000 here; the sweep may add up to its resolution (100 ms) and a busy machine some more.
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(3500);
    await expect.poll(() => closed).toBeGreaterThan(closedBefore);
  });

  it('never reuses a connection on which the upstream sent more than it framed', async () => {
    // A naive pool keeps the connection and hands "forged" to the next request as its answer.
    const closedBefore = closed;
    const first = await exchange(get('/raw/extra'));
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first.endsWith('extra')).toBe(true);
    await expect.poll(() => closed).toBeGreaterThan(closedBefore);
    const second = await exchange(get('/raw/after'));
    expect(second.endsWith('after')).toBe(true);
    expect(second).not.toContain('forged');
  });

  it('sends request header bytes beyond ASCII on unchanged, both ways', async () => {
    // obs-text is allowed in field values; written as UTF-8, the byte 0xE9 would reach the upstream as 0xC3 0xA9.
    const answer = await exchange('GET /raw/after HTTP/1.1\r\nHost: a\r\nX-Name: caf\xe9\r\nConnection: close\r\n\r\n');
    expect(answer.endsWith('after')).toBe(true);
    expect(received.get('/raw/after')).toContain('x-name: caf\xe9\r\n');
  });

  it('refuses a 101 to a request that asked for no upgrade', async () => {
    await expectRefused('/raw/switch');
  });
});

describe('ENGINES', () => {
  it('lists the engine GRAYLANE_FORWARDING_ENGINE selects by default first', () => {
    expect(ENGINES[0]).toBe(forwardingConfigFrom({}).engine);
  });
});
