/**
 * A strict HTTP/1.1 response parser for the native engine: a state machine over Buffers with no
 * I/O, fed whatever the upstream socket delivers, in pieces of any size. It accepts what RFC 9112
 * allows an upstream to send and rejects, rather than repairs, everything that could make the proxy
 * and the client frame a response differently (Content-Length with Transfer-Encoding, two
 * Content-Lengths, bad characters, bare LF, obs-fold, oversized chunk sizes): a rejected response
 * becomes a 502 and its connection is destroyed, never passed through.
 */

import { chunkSizeOf, CR, FIELD_VALUE, hasBareLf, LF, printable, statusOf, TOKEN, trimOws } from './http1-syntax.js';

/** One response head as received. */
export interface ResponseHead {
  status: number;
  reason: string;
  /**
   * End-to-end header fields as sent, flat: [name, value, name, value, …]. Hop-by-hop ones
   * (RFC 9110 §7.6.1: Connection, Keep-Alive, Transfer-Encoding, …) are already left out; the
   * names `Connection` lists are in `connectionTokens`. A fresh array the sink may keep or extend.
   */
  headers: string[];
  /** Lower-case tokens of `Connection` other than close and keep-alive: more hop-by-hop headers. */
  connectionTokens: string[] | undefined;
  /** The connection may carry another request after this response. */
  keepAlive: boolean;
  /** The whole head as received (validated), without its final CRLFCRLF: what a tunnel passes on after a 101. */
  raw: string;
}

/** What the parser reports, in order: any 1xx heads, then one head, body pieces, and the end. */
export interface ResponseSink {
  /** A 1xx other than 101; the final answer follows. */
  onInformational(head: ResponseHead): void;
  /** The final head (status ≥ 200). */
  onHead(head: ResponseHead): void;
  /** A 101: the connection now carries another protocol; `rest` holds the bytes after the head. */
  onUpgrade(head: ResponseHead, rest: Buffer): void;
  /** A piece of the body, a view of the pushed Buffer (copy it to keep it beyond the call). */
  onBody(chunk: Buffer): void;
  /**
   * The response is complete; `reusable` is false when the connection must not carry another
   * request. `last`, when given, is the body's final piece (a view, like onBody's), handed over
   * here instead of through onBody so the sink can write it and end in one call: for the common
   * small response that saves Node's server a write, a cork and a tick.
   */
  onComplete(reusable: boolean, last?: Buffer): void;
  /** The response is malformed or cut; nothing more is reported. */
  onError(error: ResponseParseError): void;
}

/** Why an upstream response was refused. */
export class ResponseParseError extends Error {
  /** True when the upstream sent nothing at all before it closed (a stale keep-alive connection). */
  constructor(
    message: string,
    readonly empty = false,
  ) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

/** Longest response head accepted, as Node's and undici's default (16 KiB). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Longest chunk-size line (size and extensions) and trailer section accepted. */
const MAX_CHUNK_LINE_BYTES = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;
/** More 1xx heads before the answer than any real upstream sends. */
const MAX_INFORMATIONAL = 16;
/** Response header fields a proxy must not pass on (RFC 9110 §7.6.1), lower-case. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Lengths of the names above and of content-length: only names this long are lower-cased and looked at. */
const SPECIAL_LENGTHS: Record<number, true> = Object.fromEntries([...HOP_BY_HOP, 'content-length'].map((name) => [name.length, true as const]));
const DECIMAL = /^[0-9]{1,15}$/;

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_DATA = 3;
const S_CHUNK_DATA_END = 4;
const S_TRAILERS = 5;
const S_UNTIL_CLOSE = 6;
const S_DONE = 7;
const S_FAILED = 8;

const EMPTY = Buffer.alloc(0);

/**
 * Parses one response at a time: `start(isHead)` before each request's response, `push` for every
 * chunk read, `end` when the connection closed.
 */
export class ResponseParser {
  private state = S_DONE;
  private isHead = false;
  private informational = 0;
  /** Bytes of an unfinished head, chunk-size line or trailer section. */
  private pending: Buffer | undefined;
  /** Body bytes still due (Content-Length or the current chunk). */
  private remaining = 0;
  private keepAlive = false;
  private sawBytes = false;
  /** Framing of the head being parsed: -1 for no Content-Length. */
  private contentLength = -1;
  private chunked = false;
  private transferEncoding = false;

  constructor(private readonly sink: ResponseSink) {}

  /** Expects a new response; `isHead` when the request was HEAD (its answer has no body). */
  start(isHead: boolean): void {
    this.state = S_HEAD;
    this.isHead = isHead;
    this.informational = 0;
    this.pending = undefined;
    this.remaining = 0;
    this.keepAlive = false;
    this.sawBytes = false;
  }

  /** Stops parsing without reporting anything more (the exchange was abandoned). */
  abort(): void {
    this.state = S_FAILED;
    this.pending = undefined;
  }

  /** True between `start` and the response's end or failure. */
  get busy(): boolean {
    return this.state !== S_DONE && this.state !== S_FAILED;
  }

  /** Feeds bytes read from the connection. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.state === S_FAILED) return;
    if (this.state === S_DONE) {
      this.fail('upstream sent bytes when no response was due');
      return;
    }
    this.sawBytes = true;
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case S_HEAD:
          offset = this.readHead(chunk, offset);
          break;
        case S_LENGTH: {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.remaining -= take;
          const piece = offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take);
          offset += take;
          if (this.remaining === 0) this.complete(chunk.length - offset, piece);
          else this.sink.onBody(piece);
          break;
        }
        case S_CHUNK_SIZE:
          offset = this.readChunkSize(chunk, offset);
          break;
        case S_CHUNK_DATA: {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.remaining -= take;
          const piece = chunk.subarray(offset, offset + take);
          offset += take;
          this.sink.onBody(piece);
          if (this.remaining === 0) this.state = S_CHUNK_DATA_END;
          break;
        }
        case S_CHUNK_DATA_END:
          offset = this.readChunkDataEnd(chunk, offset);
          break;
        case S_TRAILERS:
          offset = this.readTrailers(chunk, offset);
          break;
        case S_UNTIL_CLOSE: {
          const piece = offset === 0 ? chunk : chunk.subarray(offset);
          offset = chunk.length;
          this.sink.onBody(piece);
          break;
        }
        default:
          // Done or failed in this call: anything left is a protocol error (done) or ignored (failed).
          if (this.state === S_DONE) this.fail('upstream sent bytes after the end of the response');
          return;
      }
    }
  }

  /** The connection closed: ends a body read until close, otherwise the response was cut. */
  end(): void {
    if (this.state === S_UNTIL_CLOSE) {
      this.state = S_DONE;
      this.sink.onComplete(false);
      return;
    }
    if (this.state === S_DONE || this.state === S_FAILED) return;
    const empty = this.state === S_HEAD && !this.sawBytes;
    this.fail(empty ? 'upstream closed the connection without answering' : 'upstream closed the connection in the middle of the response', empty);
  }

  private fail(message: string, empty = false): void {
    this.state = S_FAILED;
    this.pending = undefined;
    this.sink.onError(new ResponseParseError(message, empty));
  }

  /** Ends the response (`last`: its final body piece); bytes left over after it mean the upstream sent more than it framed. */
  private complete(leftover: number, last?: Buffer): void {
    this.state = S_DONE;
    this.pending = undefined;
    if (leftover > 0) {
      this.state = S_FAILED;
      this.sink.onComplete(false, last);
      return;
    }
    this.sink.onComplete(this.keepAlive, last);
  }

  private readHead(chunk: Buffer, offset: number): number {
    let buf = chunk;
    let from = offset;
    let searchFrom = offset;
    if (this.pending !== undefined) {
      searchFrom = Math.max(0, this.pending.length - 3);
      buf = Buffer.concat([this.pending, offset === 0 ? chunk : chunk.subarray(offset)]);
      from = 0;
    }
    const end = buf.indexOf('\r\n\r\n', searchFrom, 'latin1');
    if (end === -1) {
      if (buf.length - from > MAX_HEAD_BYTES) return this.failAt(chunk, 'upstream response head is larger than 16 KiB');
      if (hasBareLf(buf, from)) return this.failAt(chunk, 'upstream response head has a line ending in a bare LF');
      this.pending = from === 0 && buf !== chunk ? buf : Buffer.from(buf.subarray(from));
      return chunk.length;
    }
    if (end + 4 - from > MAX_HEAD_BYTES) return this.failAt(chunk, 'upstream response head is larger than 16 KiB');
    const consumedInChunk = chunk.length - (buf.length - (end + 4));
    this.pending = undefined;
    const head = this.parseHead(buf.toString('latin1', from, end));
    if (head === undefined) return chunk.length;
    if (head.status < 200) {
      if (head.status === 101) {
        this.state = S_DONE;
        this.sink.onUpgrade(head, consumedInChunk < chunk.length ? chunk.subarray(consumedInChunk) : EMPTY);
        return chunk.length;
      }
      this.informational += 1;
      if (this.informational > MAX_INFORMATIONAL) return this.failAt(chunk, `upstream sent more than ${MAX_INFORMATIONAL} informational responses`);
      this.sink.onInformational(head);
      return consumedInChunk;
    }
    return this.beginBody(head, chunk, consumedInChunk);
  }

  private failAt(chunk: Buffer, message: string): number {
    this.fail(message);
    return chunk.length;
  }

  /**
   * Parses and validates a head (without its final CRLFCRLF); undefined after reporting an error.
   * Walks the text with indexOf instead of splitting it, and lower-cases only names whose length
   * matches a header it must recognise: the per-response path allocates the field strings and
   * little else.
   */
  private parseHead(text: string): ResponseHead | undefined {
    let lineEnd = text.indexOf('\r\n');
    if (lineEnd === -1) lineEnd = text.length;
    const status = statusOf(text, lineEnd);
    if (status === -1) {
      this.fail(`upstream sent an invalid status line "${printable(text.slice(0, lineEnd))}"`);
      return undefined;
    }
    const reason = lineEnd > 13 ? text.slice(13, lineEnd) : '';
    const http10 = text.charCodeAt(7) === 48;
    const headers: string[] = [];
    let connectionTokens: string[] | undefined;
    let close = false;
    let keepAliveToken = false;
    this.contentLength = -1;
    this.chunked = false;
    this.transferEncoding = false;
    for (let start = lineEnd + 2; start < text.length; start = lineEnd + 2) {
      lineEnd = text.indexOf('\r\n', start);
      if (lineEnd === -1) lineEnd = text.length;
      const colon = text.indexOf(':', start);
      const name = colon > start && colon < lineEnd ? text.slice(start, colon) : '';
      if (!TOKEN.test(name)) {
        this.fail(`upstream sent an invalid header line "${printable(text.slice(start, lineEnd))}"`);
        return undefined;
      }
      const value = trimOws(text.slice(colon + 1, lineEnd));
      if (!FIELD_VALUE.test(value)) {
        this.fail(`upstream sent invalid characters in the value of header "${name}"`);
        return undefined;
      }
      const lower = SPECIAL_LENGTHS[name.length] === true ? name.toLowerCase() : '';
      if (lower === 'content-length') {
        if (this.contentLength !== -1) {
          this.fail('upstream sent more than one Content-Length');
          return undefined;
        }
        if (!DECIMAL.test(value)) {
          this.fail(`upstream sent an invalid Content-Length "${printable(value)}"`);
          return undefined;
        }
        this.contentLength = Number(value);
      } else if (lower === 'transfer-encoding') {
        if (!this.acceptTransferEncoding(value)) return undefined;
      } else if (lower === 'connection') {
        for (const raw of value.toLowerCase().split(',')) {
          const token = trimOws(raw);
          if (token === 'close') close = true;
          else if (token === 'keep-alive') keepAliveToken = true;
          else if (token !== '') (connectionTokens ??= []).push(token);
        }
      }
      if (lower === '' || !HOP_BY_HOP.has(lower)) headers.push(name, value);
    }
    if (this.transferEncoding && this.contentLength !== -1) {
      this.fail('upstream sent both Content-Length and Transfer-Encoding');
      return undefined;
    }
    const keepAlive = !close && (!http10 || keepAliveToken);
    return { status, reason, headers, connectionTokens, keepAlive, raw: text };
  }

  /** Only a final "chunked" frames a response the proxy can re-frame; anything else is refused. */
  private acceptTransferEncoding(value: string): boolean {
    const codings = value.toLowerCase().split(',');
    for (let c = 0; c < codings.length; c++) {
      const coding = trimOws(codings[c] as string);
      if (this.chunked || coding !== 'chunked' || c !== codings.length - 1) {
        this.fail(`upstream sent an unsupported Transfer-Encoding "${printable(value)}"`);
        return false;
      }
      this.chunked = true;
    }
    this.transferEncoding = true;
    return true;
  }

  private beginBody(head: ResponseHead, chunk: Buffer, offset: number): number {
    const { status } = head;
    this.keepAlive = head.keepAlive;
    this.sink.onHead(head);
    if (this.state !== S_HEAD) return chunk.length; // the sink aborted
    if (this.isHead || status === 204 || status === 304) {
      this.complete(chunk.length - offset);
      return chunk.length;
    }
    if (this.chunked) {
      this.state = S_CHUNK_SIZE;
      return offset;
    }
    if (this.contentLength >= 0) {
      if (this.contentLength === 0) {
        this.complete(chunk.length - offset);
        return chunk.length;
      }
      this.state = S_LENGTH;
      this.remaining = this.contentLength;
      return offset;
    }
    this.state = S_UNTIL_CLOSE;
    this.keepAlive = false;
    return offset;
  }

  /** Reads `1*HEXDIG [ chunk-ext ] CRLF`; a zero size moves on to the trailers. */
  private readChunkSize(chunk: Buffer, offset: number): number {
    const lf = chunk.indexOf(LF, offset);
    const pendingLength = this.pending?.length ?? 0;
    if (lf === -1) {
      if (pendingLength + chunk.length - offset > MAX_CHUNK_LINE_BYTES) return this.failAt(chunk, 'upstream sent a chunk-size line longer than 4 KiB');
      this.pending = this.pending === undefined ? Buffer.from(chunk.subarray(offset)) : Buffer.concat([this.pending, chunk.subarray(offset)]);
      return chunk.length;
    }
    const line = this.pending === undefined ? chunk.toString('latin1', offset, lf + 1) : Buffer.concat([this.pending, chunk.subarray(offset, lf + 1)]).toString('latin1');
    this.pending = undefined;
    if (line.length > MAX_CHUNK_LINE_BYTES) return this.failAt(chunk, 'upstream sent a chunk-size line longer than 4 KiB');
    const size = chunkSizeOf(line);
    if (typeof size === 'string') return this.failAt(chunk, size);
    if (size === 0) {
      this.state = S_TRAILERS;
      return lf + 1;
    }
    this.remaining = size;
    this.state = S_CHUNK_DATA;
    return lf + 1;
  }

  /** The CRLF after a chunk's data, possibly split across reads. */
  private readChunkDataEnd(chunk: Buffer, offset: number): number {
    const expectLf = this.pending !== undefined; // CR already seen
    const byte = chunk[offset];
    if (!expectLf) {
      if (byte !== CR) return this.failAt(chunk, 'upstream chunk data is longer than its chunk size');
      this.pending = EMPTY;
      return offset + 1;
    }
    if (byte !== LF) return this.failAt(chunk, 'upstream chunk data is not followed by CRLF');
    this.pending = undefined;
    this.state = S_CHUNK_SIZE;
    return offset + 1;
  }

  /** Reads the trailer section up to its empty line; trailers are validated, then dropped. */
  private readTrailers(chunk: Buffer, offset: number): number {
    const buf = this.pending === undefined ? chunk.subarray(offset) : Buffer.concat([this.pending, chunk.subarray(offset)]);
    const consumedBefore = this.pending?.length ?? 0;
    // Either no trailers (CRLF at once) or fields ending in CRLFCRLF.
    let end = -1;
    if (buf.length >= 2 && buf[0] === CR && buf[1] === LF) end = 0;
    else {
      const found = buf.indexOf('\r\n\r\n', 0, 'latin1');
      if (found !== -1) end = found + 2;
    }
    if (end === -1) {
      if (buf.length > MAX_TRAILER_BYTES) return this.failAt(chunk, 'upstream trailer section is larger than 16 KiB');
      if (hasBareLf(buf, 0) || (buf.length >= 2 && buf[0] === CR && buf[1] !== LF)) return this.failAt(chunk, 'upstream chunked body does not end in CRLF lines');
      this.pending = Buffer.from(buf);
      return chunk.length;
    }
    if (end > 0) {
      for (const line of buf.toString('latin1', 0, end - 2).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0 || !TOKEN.test(line.slice(0, colon)) || !FIELD_VALUE.test(trimOws(line.slice(colon + 1)))) {
          return this.failAt(chunk, `upstream sent an invalid trailer line "${printable(line)}"`);
        }
      }
    }
    this.pending = undefined;
    const consumed = offset + end + 2 - consumedBefore;
    this.complete(chunk.length - consumed);
    return chunk.length;
  }
}
