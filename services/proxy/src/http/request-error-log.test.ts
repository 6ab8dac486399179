import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '@graylane/runtime';
import { describe, expect, it } from 'vitest';
import { RequestErrorLog } from './request-error-log.js';

function capture(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

const request = { method: 'POST', url: '/pay?card=4111', headers: { 'x-request-id': 'r-1' } } as unknown as IncomingMessage;

describe('RequestErrorLog', () => {
  it('caps lines per second during an outage and reports how many it held back', async () => {
    const { lines, logger } = capture();
    let now = 10_000;
    const log = new RequestErrorLog(logger, 3, () => now);
    for (let i = 0; i < 10; i++) log.failed(request, 502, { pool: 'v2' }, 'upstream unavailable');
    now += 1000;
    log.failed(request, 504, { pool: 'v2' }, 'upstream did not answer in time');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ requestId: 'r-1', status: 502, method: 'POST', path: '/pay', pool: 'v2', msg: 'upstream unavailable' });
    expect(lines[0]).not.toHaveProperty('suppressedBefore');
    expect(lines[3]).toMatchObject({ status: 504, suppressedBefore: 7 });
  });

  it('logs refusals at info, without an id when no request was parsed', async () => {
    const { lines, logger } = capture();
    const log = new RequestErrorLog(logger);
    log.refused(undefined, 431, { code: 'HPE_HEADER_OVERFLOW' }, 'the request head is larger than the server accepts');
    log.refused(request, 400, {}, 'the request has more than one Host header');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ level: 30, status: 431, code: 'HPE_HEADER_OVERFLOW' });
    expect(lines[0]).not.toHaveProperty('requestId');
    expect(lines[1]).toMatchObject({ level: 30, status: 400, requestId: 'r-1' });
  });
});
