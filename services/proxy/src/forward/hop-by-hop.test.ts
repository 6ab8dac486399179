import { describe, expect, it } from 'vitest';
import { endToEndHeaders } from './hop-by-hop.js';

describe('endToEndHeaders', () => {
  it('drops hop-by-hop headers and every header named in Connection', () => {
    const out = endToEndHeaders({
      connection: 'keep-alive, X-Secret-Hop, close',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      upgrade: 'h2c',
      'proxy-authorization': 'Basic x',
      'x-secret-hop': 'do not pass',
      'x-user-id': 'u1',
      accept: 'application/json',
    });
    expect(out).toEqual({ 'x-user-id': 'u1', accept: 'application/json' });
  });

  it('keeps Host and the body framing even when Connection names them', () => {
    const out = endToEndHeaders({ connection: 'host, Content-Length, transfer-encoding, x-gone', host: 'shop.example', 'content-length': '4', 'x-gone': '1' });
    expect(out).toEqual({ host: 'shop.example', 'content-length': '4' });
  });
});
