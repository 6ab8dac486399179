import { describe, expect, it } from 'vitest';
import { chunkSizeOf } from './http1-syntax.js';
import { ResponseParser, type ResponseHead, type ResponseParseError, type ResponseSink } from './response-parser.js';

/** What the parser reported, in order, with body pieces joined. */
interface Parsed {
  informational: number[];
  status: number | undefined;
  headers: string[];
  body: string;
  complete: boolean | undefined;
  error: string | undefined;
  upgradeRest: string | undefined;
  keepAlive: boolean | undefined;
  events: string[];
}

function recorder(): { sink: ResponseSink; parsed: Parsed } {
  const parsed: Parsed = { informational: [], status: undefined, headers: [], body: '', complete: undefined, error: undefined, upgradeRest: undefined, keepAlive: undefined, events: [] };
  const sink: ResponseSink = {
    onInformational: (head: ResponseHead) => {
      parsed.informational.push(head.status);
      parsed.events.push(`1xx:${head.status}`);
    },
    onHead: (head: ResponseHead) => {
      parsed.status = head.status;
      parsed.headers = head.headers;
      parsed.keepAlive = head.keepAlive;
      parsed.events.push('head');
    },
    onUpgrade: (head: ResponseHead, rest: Buffer) => {
      parsed.status = head.status;
      parsed.upgradeRest = rest.toString('latin1');
      parsed.events.push('upgrade');
    },
    onBody: (chunk: Buffer) => {
      parsed.body += chunk.toString('latin1');
    },
    onComplete: (reusable: boolean, last?: Buffer) => {
      if (last !== undefined) parsed.body += last.toString('latin1');
      parsed.complete = reusable;
      parsed.events.push('complete');
    },
    onError: (error: ResponseParseError) => {
      parsed.error = error.message;
      parsed.events.push('error');
    },
  };
  return { sink, parsed };
}

/** Parses `raw` fed in pieces of `step` bytes (Infinity: one piece), then `end()` if `close`. */
function parse(raw: string, options: { step?: number; isHead?: boolean; close?: boolean } = {}): Parsed {
  const { sink, parsed } = recorder();
  const parser = new ResponseParser(sink);
  parser.start(options.isHead ?? false);
  const bytes = Buffer.from(raw, 'latin1');
  const step = options.step ?? bytes.length;
  for (let i = 0; i < bytes.length; i += step) parser.push(bytes.subarray(i, i + step));
  if (options.close === true) parser.end();
  return parsed;
}

/** The same result whole, byte by byte and in 7-byte pieces: framing must not depend on how reads split. */
function parseEverySplit(raw: string, options: { isHead?: boolean; close?: boolean } = {}): Parsed {
  const whole = parse(raw, options);
  for (const step of [1, 2, 7]) expect(parse(raw, { ...options, step })).toEqual(whole);
  return whole;
}

describe('ResponseParser: accepted framing', () => {
  it('reads a Content-Length body and keeps the connection', () => {
    const parsed = parseEverySplit('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
    expect(parsed).toMatchObject({ status: 200, body: 'hello', complete: true, error: undefined });
    expect(parsed.headers).toEqual(['Content-Type', 'text/plain', 'Content-Length', '5']);
  });

  it('leaves hop-by-hop fields out of the headers, names Connection-listed ones, and keeps the raw head', () => {
    const { sink } = recorder();
    let seen: ResponseHead | undefined;
    sink.onHead = (head) => (seen = head);
    const parser = new ResponseParser(sink);
    parser.start(false);
    const head = 'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: secret\r\nTrailer: X-T\r\nContent-Length: 0\r\nProxy-Connection: x';
    parser.push(Buffer.from(`${head}\r\n\r\n`));
    expect(seen?.headers).toEqual(['X-Hop', 'secret', 'Content-Length', '0']);
    expect(seen?.connectionTokens).toEqual(['x-hop']);
    expect(seen?.raw).toBe(head);
  });

  it('reads a chunked body, with extensions, and drops its trailers', () => {
    const parsed = parseEverySplit('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n');
    expect(parsed).toMatchObject({ status: 200, body: 'hello world', complete: true, error: undefined });
  });

  it('reads a chunked body with no trailers and upper-case hex sizes', () => {
    expect(parseEverySplit(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n${'x'.repeat(10)}\r\n0\r\n\r\n`)).toMatchObject({ body: 'x'.repeat(10), complete: true });
  });

  it('reads a body without framing until the connection closes, and never reuses that connection', () => {
    const parsed = parseEverySplit('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close', { close: true });
    expect(parsed).toMatchObject({ status: 200, body: 'until close', complete: false, error: undefined });
  });

  it('reports 1xx heads (100, 103) before the final answer', () => {
    const parsed = parseEverySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect(parsed.events).toEqual(['1xx:100', '1xx:103', 'head', 'complete']);
    expect(parsed).toMatchObject({ status: 200, body: 'ok', complete: true });
  });

  it('reads no body after HEAD, 204 and 304, whatever Content-Length says', () => {
    expect(parseEverySplit('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', { isHead: true })).toMatchObject({ status: 200, body: '', complete: true });
    expect(parseEverySplit('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ status: 204, body: '', complete: true });
    expect(parseEverySplit('HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n')).toMatchObject({ status: 304, body: '', complete: true });
  });

  it('hands over the bytes after a 101 head to the tunnel', () => {
    const parsed = parse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi');
    expect(parsed).toMatchObject({ status: 101, upgradeRest: '\x81\x02hi', events: ['upgrade'] });
  });

  it('keeps HTTP/1.0 only with keep-alive, and never after Connection: close', () => {
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').complete).toBe(false);
    expect(parse('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').complete).toBe(true);
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').complete).toBe(false);
  });

  it('accepts an empty reason phrase and optional whitespace around values', () => {
    expect(parse('HTTP/1.1 200 \r\nX-A:   spaced\t \r\nContent-Length: 0\r\n\r\n')).toMatchObject({ status: 200, headers: ['X-A', 'spaced', 'Content-Length', '0'], complete: true });
    expect(parse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ status: 200, complete: true });
  });

  it('serves several responses in a row after start()', () => {
    const { sink, parsed } = recorder();
    const parser = new ResponseParser(sink);
    for (const body of ['one', 'two']) {
      parser.start(false);
      parser.push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n${body}`));
    }
    expect(parsed.body).toBe('onetwo');
    expect(parsed.events).toEqual(['head', 'complete', 'head', 'complete']);
  });

  it("hands a Content-Length body's final piece over with the completion, not as a body piece", () => {
    const { sink } = recorder();
    const pieces: string[] = [];
    const lasts: (string | undefined)[] = [];
    const parser = new ResponseParser({ ...sink, onBody: (chunk) => pieces.push(chunk.toString()), onComplete: (_reusable, last) => lasts.push(last?.toString()) });
    parser.start(false);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc'));
    parser.push(Buffer.from('def'));
    expect({ pieces, lasts }).toEqual({ pieces: ['abc'], lasts: ['def'] });
    parser.start(false);
    parser.push(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'));
    expect(lasts).toEqual(['def', undefined]);
  });
});

describe('ResponseParser: refused framing (each would be passed on by a naive parser)', () => {
  const refused: [string, string, RegExp][] = [
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /both Content-Length and Transfer-Encoding/],
    ['Transfer-Encoding before Content-Length', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n', /both Content-Length and Transfer-Encoding/],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde', /more than one Content-Length/],
    ['two equal Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc', /more than one Content-Length/],
    ['a Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc', /invalid Content-Length/],
    ['a signed Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc', /invalid Content-Length/],
    ['a Content-Length too large to count', `HTTP/1.1 200 OK\r\nContent-Length: ${'9'.repeat(16)}\r\n\r\n`, /invalid Content-Length/],
    ['a coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc', /unsupported Transfer-Encoding/],
    ['chunked not last', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n', /unsupported Transfer-Encoding/],
    ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /unsupported Transfer-Encoding/],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n', /invalid characters in the value of header "X-A"/],
    ['a bare CR in a header value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n', /invalid characters/],
    ['a bare LF inside the head', 'HTTP/1.1 200 OK\r\nX-A: a\nX-B: b\r\nContent-Length: 0\r\n\r\n', /invalid characters|bare LF/],
    ['LF-only line endings', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', /bare LF/],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\nabc', /invalid header line/],
    ['a space in a header name', 'HTTP/1.1 200 OK\r\nX A: b\r\nContent-Length: 0\r\n\r\n', /invalid header line/],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nContent-Length: 0\r\n\r\n', /invalid header line/],
    ['a line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\nContent-Length: 0\r\n\r\n', /invalid header line/],
    ['an empty header name', 'HTTP/1.1 200 OK\r\n: v\r\nContent-Length: 0\r\n\r\n', /invalid header line/],
    ['a status line that is not HTTP/1.x', 'HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n', /invalid status line/],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n', /invalid status line/],
    ['a status out of range', 'HTTP/1.1 999 Nope\r\nContent-Length: 0\r\n\r\n', /invalid status line/],
    ['garbage instead of a status line', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', /invalid status line/],
    ['a chunk size with 16 hex digits', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n', /chunk size is too large/],
    ['a chunk size with leading zeros past 13 digits', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\na\r\n0\r\n\r\n', /chunk size is too large/],
    ['a negative chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n', /invalid chunk size/],
    ['a chunk size with a 0x prefix', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n', /invalid chunk size/],
    ['a space after the chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n', /invalid chunk size/],
    ['a chunk size line ending in bare LF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n', /does not end in CRLF/],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n', /longer than its chunk size/],
    ['chunk data followed by CR without LF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rx0\r\n\r\n', /not followed by CRLF/],
    ['an invalid trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n', /invalid trailer line/],
    ['bytes after a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n', /./],
  ];

  it.each(refused)('refuses %s', (_name, raw, reason) => {
    for (const step of [raw.length, 1, 5]) {
      const parsed = parse(raw, { step });
      if (parsed.body === 'ok') {
        // Bytes after a framed body: the response itself was whole; the connection is not reused
        // (reported with the end, or as an error once they arrive in a later read).
        expect(parsed.complete === false || parsed.error !== undefined).toBe(true);
        continue;
      }
      expect(parsed.error, `fed ${step} bytes at a time`).toMatch(reason);
      expect(parsed.events).not.toContain('complete');
    }
  });

  it('refuses a head larger than 16 KiB even when it never ends', () => {
    expect(parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`).error).toMatch(/larger than 16 KiB/);
    expect(parse(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(17_000)}`, { step: 1000 }).error).toMatch(/larger than 16 KiB/);
  });

  it('refuses a flood of 1xx heads', () => {
    expect(parse('HTTP/1.1 102 Processing\r\n\r\n'.repeat(17)).error).toMatch(/more than 16 informational/);
  });

  it('reports a response cut short, and tells a silent close apart from a cut one', () => {
    const { sink, parsed } = recorder();
    const silent = new ResponseParser(sink);
    silent.start(false);
    silent.end();
    expect(parsed.error).toMatch(/without answering/);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', { close: true }).error).toMatch(/in the middle of the response/);
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', { close: true }).error).toMatch(/in the middle/);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Le', { close: true }).error).toMatch(/in the middle/);
  });

  it('refuses bytes that arrive when no response is due', () => {
    const { sink, parsed } = recorder();
    const parser = new ResponseParser(sink);
    parser.start(false);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    expect(parsed.complete).toBe(true);
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
    expect(parsed.error).toMatch(/no response was due/);
  });
});

describe('chunkSizeOf', () => {
  it('reads hex sizes with extensions and refuses overflow', () => {
    expect(chunkSizeOf('1a\r\n')).toBe(26);
    expect(chunkSizeOf('FF;a=b;c\r\n')).toBe(255);
    expect(chunkSizeOf('fffffffffffff\r\n')).toBe(2 ** 52 - 1);
    expect(chunkSizeOf('10000000000000\r\n')).toMatch(/too large/);
    expect(chunkSizeOf('\r\n')).toMatch(/invalid chunk size/);
    expect(chunkSizeOf('5;\x01\r\n')).toMatch(/invalid chunk size/);
  });
});
