import { describe, expect, it } from 'vitest';
import { TrustedProxies } from '../forward/trusted-proxies.js';
import { clientAddressOf } from './client-address.js';

const trusted = new TrustedProxies(['10.0.0.0/8', '::1/128']);

describe('clientAddressOf', () => {
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: a client could write anything there', () => {
    expect(clientAddressOf('203.0.113.9', '10.1.2.3', trusted)).toBe('203.0.113.9');
    expect(clientAddressOf('203.0.113.9', '198.51.100.7, 10.1.2.3', trusted)).toBe('203.0.113.9');
    expect(clientAddressOf('::ffff:203.0.113.9', '10.1.2.3', trusted)).toBe('::ffff:203.0.113.9');
  });

  it('takes the right-most untrusted entry behind trusted proxies, so a forged left part does not count', () => {
    expect(clientAddressOf('10.0.0.5', '198.51.100.7', trusted)).toBe('198.51.100.7');
    // The client sent "X-Forwarded-For: 192.0.2.1"; the edge proxy appended what it saw.
    expect(clientAddressOf('10.0.0.5', '192.0.2.1, 198.51.100.7', trusted)).toBe('198.51.100.7');
    // Two trusted hops after the client.
    expect(clientAddressOf('10.0.0.5', '192.0.2.1, 198.51.100.7, 10.9.9.9', trusted)).toBe('198.51.100.7');
    // IPv4-mapped peer, as Node reports it on a dual-stack socket.
    expect(clientAddressOf('::ffff:10.0.0.5', '198.51.100.7', trusted)).toBe('198.51.100.7');
    // Several X-Forwarded-For headers, as an array.
    expect(clientAddressOf('::1', ['192.0.2.1', '198.51.100.7 , 10.1.1.1'], trusted)).toBe('198.51.100.7');
  });

  it('reads addresses with ports and IPv6 in brackets', () => {
    expect(clientAddressOf('10.0.0.5', '198.51.100.7:51234', trusted)).toBe('198.51.100.7');
    expect(clientAddressOf('10.0.0.5', '[2001:db8::7]:443', trusted)).toBe('2001:db8::7');
    expect(clientAddressOf('10.0.0.5', '2001:db8::7', trusted)).toBe('2001:db8::7');
  });

  it('stops at junk, keeping the last trusted hop, and uses the peer without the header', () => {
    expect(clientAddressOf('10.0.0.5', 'unknown, 10.2.2.2', trusted)).toBe('10.2.2.2');
    expect(clientAddressOf('10.0.0.5', '<script>', trusted)).toBe('10.0.0.5');
    expect(clientAddressOf('10.0.0.5', '', trusted)).toBe('10.0.0.5');
    expect(clientAddressOf('10.0.0.5', undefined, trusted)).toBe('10.0.0.5');
    expect(clientAddressOf('10.0.0.5', '10.3.3.3, 10.2.2.2', trusted)).toBe('10.3.3.3');
  });

  it('trusts nothing when no proxy is trusted', () => {
    expect(clientAddressOf('10.0.0.5', '198.51.100.7', new TrustedProxies([]))).toBe('10.0.0.5');
  });
});
