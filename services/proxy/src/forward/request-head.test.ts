import { describe, expect, it } from 'vitest';
import { requestBodyFraming, requestHead } from './request-head.js';

describe('requestHead', () => {
  it('writes the request line and every header, one line per value, ending in an empty line', () => {
    expect(requestHead('GET', '/a?b=1', { host: 'shop', 'set-thing': ['1', '2'], 'content-length': '3' }, 'length', 'up:80')).toBe(
      'GET /a?b=1 HTTP/1.1\r\nhost: shop\r\nset-thing: 1\r\nset-thing: 2\r\ncontent-length: 3\r\n\r\n',
    );
  });

  it('re-chunks a chunked body, drops Expect, and adds Host when the client sent none', () => {
    expect(requestHead('POST', '/', { expect: '100-continue', via: '1.1 graylane' }, 'chunked', '10.0.0.1:8080')).toBe(
      'POST / HTTP/1.1\r\nvia: 1.1 graylane\r\nhost: 10.0.0.1:8080\r\ntransfer-encoding: chunked\r\n\r\n',
    );
  });
});

describe('requestBodyFraming', () => {
  it('tells chunked, sized and absent bodies apart', () => {
    expect(requestBodyFraming({ 'transfer-encoding': 'chunked' })).toBe('chunked');
    expect(requestBodyFraming({ 'content-length': '12' })).toBe('length');
    expect(requestBodyFraming({ 'content-length': '0' })).toBe('none');
    expect(requestBodyFraming({})).toBe('none');
  });
});
