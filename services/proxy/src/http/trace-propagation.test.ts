import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { RoutingTableV1 } from '@graylane/contracts';
import type { ProxyApp } from '../app.js';
import { buildTestApp } from '../test-support/test-app.js';
import { freePort } from '@graylane/testkit';
import { isValidTraceparent } from '../forward/trace-context.js';
import { localRequest } from '../test-support/local-request.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

let app: ProxyApp;
let backend: Server;
let dataPort: number;
const seen: IncomingHttpHeaders[] = [];
const logLines: Record<string, unknown>[] = [];

function table(upstream: string, deadUpstream: string): RoutingTableV1 {
  const record = (name: string, pathPrefix: string, url: string) => ({
    name,
    state: 'progressing' as const,
    updatedAt: '2026-12-02T00:00:00Z',
    updatedBy: 'test',
    spec: { match: { pathPrefix }, stable: { name: `${name}-v1`, upstreams: [url] }, canary: { name: `${name}-v2`, upstreams: [url] }, traffic: { weight: 0 } },
  });
  return { schema: 'graylane.routing-table/v1', rollouts: { live: record('live', '/live', upstream), dead: record('dead', '/dead', deadUpstream) } };
}

beforeAll(async () => {
  backend = createServer((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  // Nothing listens there: every request to /dead ends in a 502.
  const deadUpstream = `http://127.0.0.1:${await freePort()}`;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  app = buildTestApp({
    proxyId: 'trace-test',
    logger: pino({ level: 'info' }, sink),
  });
  app.holder.apply(table(upstream, deadUpstream), 3);
  await app.dataPlane.listen({ port: 0, host: '127.0.0.1' });
  dataPort = (app.dataPlane.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app.dataPlane.close();
  await app.forwarder.close();
  app.upstreams.close();
  backend.close();
});

async function upstreamSaw(headers: Record<string, string>): Promise<IncomingHttpHeaders> {
  seen.length = 0;
  const answer = await localRequest(dataPort, '/live', { headers });
  expect(answer.status).toBe(200);
  expect(seen).toHaveLength(1);
  return seen[0] as IncomingHttpHeaders;
}

describe('traceparent through the data plane', () => {
  it('passes a valid traceparent and its tracestate on unchanged', async () => {
    const got = await upstreamSaw({ traceparent: VALID, tracestate: 'vendor=abc' });
    expect(got.traceparent).toBe(VALID);
    expect(got.tracestate).toBe('vendor=abc');
  });

  it('creates one when absent, new for every request', async () => {
    const first = String((await upstreamSaw({})).traceparent);
    const second = String((await upstreamSaw({})).traceparent);
    expect(isValidTraceparent(first), first).toBe(true);
    expect(isValidTraceparent(second), second).toBe(true);
    expect(first.slice(3, 35)).not.toBe(second.slice(3, 35));
  });

  it('replaces a malformed one and drops the tracestate that belonged to it', async () => {
    const got = await upstreamSaw({ traceparent: '00-ZZZ-nope-01', tracestate: 'vendor=abc' });
    expect(isValidTraceparent(String(got.traceparent)), String(got.traceparent)).toBe(true);
    expect(got.tracestate).toBeUndefined();
  });
});

describe('request ids in the proxy log', () => {
  it('logs a 502 with the request id: X-Request-ID when sane, else the trace id', async () => {
    logLines.length = 0;
    expect((await localRequest(dataPort, '/dead/a?token=secret', { headers: { 'x-request-id': 'order-7' } })).status).toBe(502);
    expect((await localRequest(dataPort, '/dead/b', { headers: { traceparent: VALID } })).status).toBe(502);
    const failures = logLines.filter((line) => line.status === 502);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ requestId: 'order-7', method: 'GET', path: '/dead/a', pool: 'dead-v1', module: 'data-plane', level: 40 });
    expect(failures[1]).toMatchObject({ requestId: '4bf92f3577b34da6a3ce929d0e0e4736', path: '/dead/b' });
    expect(JSON.stringify(failures)).not.toContain('secret');
  });

  it('logs nothing for a request that succeeds', async () => {
    logLines.length = 0;
    await upstreamSaw({ 'x-request-id': 'fine-1' });
    expect(logLines).toEqual([]);
  });
});
