import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { upstreamRequestHeaders } from './forwarded-headers.js';
import { TrustedProxies } from './trusted-proxies.js';
import type { Upstream } from './upstream-pool.js';

const upstream: Upstream = { origin: 'http://10.1.1.1:8080', hostname: '10.1.1.1', port: 8080, host: '10.1.1.1:8080', secure: false, outstanding: 0 };

function fakeRequest(remoteAddress: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('upstreamRequestHeaders', () => {
  const trusted = new TrustedProxies(['10.0.0.0/8', '::1/128']);
  const incoming = { host: 'shop.example', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example' };

  it('extends X-Forwarded-* from a trusted proxy', () => {
    const out = upstreamRequestHeaders(fakeRequest('::ffff:10.2.3.4', incoming), upstream, 'keep', trusted);
    expect(out['x-forwarded-for']).toBe('203.0.113.7, ::ffff:10.2.3.4');
    expect(out['x-forwarded-proto']).toBe('https');
    expect(out['x-forwarded-host']).toBe('edge.example');
    expect(out.host).toBe('shop.example');
  });

  it('replaces X-Forwarded-* from anyone else', () => {
    const out = upstreamRequestHeaders(fakeRequest('192.0.2.1', incoming), upstream, 'keep', trusted);
    expect(out['x-forwarded-for']).toBe('192.0.2.1');
    expect(out['x-forwarded-proto']).toBe('http');
    expect(out['x-forwarded-host']).toBe('shop.example');
  });

  it('drops Forwarded and X-Real-IP from an untrusted peer', () => {
    const out = upstreamRequestHeaders(fakeRequest('192.0.2.1', { ...incoming, forwarded: 'for=6.6.6.6;proto=https', 'x-real-ip': '6.6.6.6' }), upstream, 'keep', trusted);
    expect(out.forwarded).toBeUndefined();
    expect(out['x-real-ip']).toBeUndefined();
  });

  it('keeps X-Real-IP and extends Forwarded with this hop from a trusted proxy', () => {
    const headers = { ...incoming, forwarded: 'for=203.0.113.7;proto=https', 'x-real-ip': '203.0.113.7' };
    const out = upstreamRequestHeaders(fakeRequest('10.2.3.4', headers), upstream, 'keep', trusted);
    expect(out.forwarded).toBe('for=203.0.113.7;proto=https, for=10.2.3.4;proto=http');
    expect(out['x-real-ip']).toBe('203.0.113.7');
    expect(upstreamRequestHeaders(fakeRequest('::1', headers), upstream, 'keep', trusted).forwarded).toBe('for=203.0.113.7;proto=https, for="[::1]";proto=http');
  });

  it('rewrites Host to the upstream when configured', () => {
    expect(upstreamRequestHeaders(fakeRequest('192.0.2.1', incoming), upstream, 'rewrite', trusted).host).toBe('10.1.1.1:8080');
  });
});

describe('TrustedProxies', () => {
  it('names the bad value', () => {
    expect(() => new TrustedProxies(['10.0.0.0/33'])).toThrow(/"10\.0\.0\.0\/33"/);
    expect(() => new TrustedProxies(['proxy.local'])).toThrow(/"proxy\.local"/);
  });
  it('matches IPv6 and IPv4-mapped peers', () => {
    const trusted = new TrustedProxies(['10.0.0.0/8', '::1/128']);
    expect(trusted.trusts('::1')).toBe(true);
    expect(trusted.trusts('::ffff:10.9.9.9')).toBe(true);
    expect(trusted.trusts('11.0.0.1')).toBe(false);
    expect(new TrustedProxies([]).trusts('10.0.0.1')).toBe(false);
  });
});
