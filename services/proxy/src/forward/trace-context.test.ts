import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isValidTraceparent, newTraceparent, requestIdOf, traceparentOf } from './trace-context.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const request = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('isValidTraceparent', () => {
  it.each([
    [VALID, true],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', true],
    ['01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future', true],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', false],
    ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', false],
    ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', false],
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', false],
    ['00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', false],
    [`${VALID}, ${VALID}`, false],
    ['', false],
  ])('%s → %s', (value, valid) => {
    expect(isValidTraceparent(value)).toBe(valid);
  });
});

describe('newTraceparent', () => {
  it('makes valid, sampled, distinct traceparents across refills of the random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const traceparent = newTraceparent();
      expect(isValidTraceparent(traceparent), traceparent).toBe(true);
      expect(traceparent.endsWith('-01')).toBe(true);
      seen.add(traceparent.slice(3, 35));
    }
    expect(seen.size).toBe(1000);
  });
});

describe('traceparentOf and requestIdOf', () => {
  it('keeps a valid incoming traceparent and gives the same one on every call', () => {
    const req = request({ traceparent: VALID });
    expect(traceparentOf(req)).toBe(VALID);
    expect(requestIdOf(req)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('replaces a malformed one once per request, so a retry sends the same trace', () => {
    const req = request({ traceparent: 'garbage' });
    const first = traceparentOf(req);
    expect(isValidTraceparent(first)).toBe(true);
    expect(traceparentOf(req)).toBe(first);
    expect(requestIdOf(req)).toBe(first.slice(3, 35));
  });

  it('prefers a sane X-Request-ID and ignores one that could break a log line', () => {
    expect(requestIdOf(request({ 'x-request-id': 'req-42.a:b', traceparent: VALID }))).toBe('req-42.a:b');
    expect(requestIdOf(request({ 'x-request-id': 'has space', traceparent: VALID }))).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(requestIdOf(request({ 'x-request-id': 'x'.repeat(129), traceparent: VALID }))).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
