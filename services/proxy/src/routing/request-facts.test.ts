import type { IncomingMessage } from 'node:http';
import { compileRollout } from '@graylane/routing';
import { describe, expect, it } from 'vitest';
import { hostWithoutPort, NodeRequestFacts } from './request-facts.js';

/** A request as Node hands it over: the header record inherits from Object.prototype. */
function request(headers: Record<string, string | string[]>): IncomingMessage {
  return { url: '/checkout?step=2', headers: { ...headers }, socket: { remoteAddress: '192.0.2.7' } } as unknown as IncomingMessage;
}

describe('NodeRequestFacts', () => {
  it('reads a header named like an Object.prototype member as absent unless the client sent it', () => {
    const facts = new NodeRequestFacts(request({ host: 'shop', toString: 'sent' }));
    expect([facts.header('constructor'), facts.header('__proto__'), facts.header('hasOwnProperty')]).toEqual([undefined, undefined, undefined]);
    expect(facts.header('toString')).toBe('sent');
  });

  it('routes by the IP, without throwing, when the sticky key names such a header', () => {
    const rollout = compileRollout({
      name: 'checkout',
      state: 'progressing',
      updatedAt: '2025-01-01T00:00:00.000Z',
      updatedBy: 'test',
      spec: {
        match: {},
        stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
        canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
        traffic: { weight: 50, stickyKey: ['header:constructor', 'ip'] },
        rules: [{ when: { header: '__proto__', regex: 'Object' }, to: 'canary' }],
      },
    });
    expect(rollout.decide(new NodeRequestFacts(request({ host: 'shop' })))).toMatchObject({ reason: 'weight' });
    expect(rollout.stickyKeyOf(new NodeRequestFacts(request({ host: 'shop' })))).toBe('192.0.2.7');
  });
});


describe('hostWithoutPort', () => {
  it.each([
    ['Shop.Example.com:8080', 'shop.example.com'],
    ['shop.example.com', 'shop.example.com'],
    ['[::1]:8080', '[::1]'],
    ['', ''],
  ])('%s → %s', (host, expected) => {
    expect(hostWithoutPort(host)).toBe(expected);
  });
});
