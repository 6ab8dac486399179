import type { OutgoingHttpHeaders } from 'node:http';

/** How the request body goes to the upstream. */
export type RequestBodyFraming = 'none' | 'length' | 'chunked';

/**
 * The request head for the upstream as one string, written in one call. `headers` are the ones
 * `upstreamRequestHeaders` built: hop-by-hop ones already removed, and every name and value
 * either validated by Node's request parser or set by graylane, so none holds CR or LF.
 * A client's chunked body is re-chunked (Node's parser has decoded it), so `Transfer-Encoding`,
 * which is hop-by-hop, is set again here; `Expect` is dropped because Node's server has already
 * answered the client's `100-continue`.
 */
export function requestHead(method: string, path: string, headers: OutgoingHttpHeaders, framing: RequestBodyFraming, fallbackHost: string): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'expect') continue;
    if (name === 'host') hasHost = true;
    if (typeof value === 'object') {
      for (let i = 0; i < value.length; i++) head += `${name}: ${value[i] as string}\r\n`;
    } else {
      head += `${name}: ${value}\r\n`;
    }
  }
  // An HTTP/1.0 client may send no Host; HTTP/1.1 requires one upstream.
  if (!hasHost) head += `host: ${fallbackHost}\r\n`;
  if (framing === 'chunked') head += 'transfer-encoding: chunked\r\n';
  return `${head}\r\n`;
}

/** How the client framed its body, as Node's parser saw it. */
export function requestBodyFraming(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): RequestBodyFraming {
  if (headers['transfer-encoding'] !== undefined) return 'chunked';
  const length = headers['content-length'];
  return length === undefined || length === '0' ? 'none' : 'length';
}
