import { createServer, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

/** One keep-alive upstream connection and the response it is carrying, if any. */
interface Link {
  readonly socket: Socket;
  res: ServerResponse | undefined;
  /** Body bytes still to come; -1 while the head is being read. */
  remaining: number;
  pending: Buffer | undefined;
}

/**
 * A yardstick, not a proxy: the least work a forwarder on node:http can do for the bench's
 * request. node:http server; upstream over keep-alive `node:net` sockets; the request head copied
 * from the client's raw headers as one string; the response head split by hand; Content-Length
 * bodies only. No validation, routing, metrics, timeouts, retries or error handling, so it is
 * unfit for any traffic but the bench's. It answers one question in every run: how close to nginx
 * any Node forwarder gets on this machine, and so how much of graylane's distance is its own.
 */
export function startMinimalForwarder(port: number, backend: URL): void {
  const idle: Link[] = [];

  const finish = (link: Link, res: ServerResponse, last: Buffer): void => {
    res.end(last.toString('latin1'), 'latin1');
    link.res = undefined;
    idle.push(link);
  };

  const onData = (link: Link, chunk: Buffer): void => {
    const res = link.res;
    if (res === undefined) return;
    if (link.remaining >= 0) {
      link.remaining -= chunk.length;
      if (link.remaining <= 0) finish(link, res, chunk);
      else res.write(chunk);
      return;
    }
    const bytes = link.pending === undefined ? chunk : Buffer.concat([link.pending, chunk]);
    const end = bytes.indexOf('\r\n\r\n');
    if (end === -1) {
      link.pending = bytes;
      return;
    }
    link.pending = undefined;
    const lines = bytes.toString('latin1', 0, end).split('\r\n');
    const headers: string[] = [];
    let length = 0;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      const lower = name.toLowerCase();
      if (lower === 'content-length') length = Number(value);
      if (lower !== 'connection' && lower !== 'keep-alive') headers.push(name, value);
    }
    res.writeHead(Number((lines[0] as string).slice(9, 12)), headers);
    const body = bytes.subarray(end + 4);
    link.remaining = length - body.length;
    if (link.remaining <= 0) finish(link, res, body);
    else res.write(body);
  };

  const open = (): Link => {
    const link: Link = { socket: connect(Number(backend.port), backend.hostname), res: undefined, remaining: -1, pending: undefined };
    link.socket.setNoDelay(true);
    link.socket.on('data', (chunk: Buffer) => onData(link, chunk));
    return link;
  };

  createServer((req, res) => {
    const link = idle.pop() ?? open();
    link.res = res;
    link.remaining = -1;
    let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) head += `${raw[i] as string}: ${raw[i + 1] as string}\r\n`;
    link.socket.write(`${head}\r\n`, 'latin1');
  }).listen(port, '127.0.0.1');
}
