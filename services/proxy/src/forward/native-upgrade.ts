import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { errorBody } from '../http/error-response.js';
import type { ForwardOutcome, ForwardTarget } from './forwarder.js';
import { upstreamRequestHeaders } from './forwarded-headers.js';
import type { ForwarderSettings } from './forwarder-settings.js';
import { requestHead } from './request-head.js';
import { ResponseParser, type ResponseHead, type ResponseSink } from './response-parser.js';
import type { Upstream } from './upstream-pool.js';

/**
 * The head of a declined upgrade for the client: end-to-end fields (the parser left hop-by-hop
 * ones out) without those Connection named or Content-Length, since the body is passed on read
 * until close.
 */
function declinedHead(head: ResponseHead): string {
  let text = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
  for (let i = 0; i < head.headers.length; i += 2) {
    const lower = (head.headers[i] as string).toLowerCase();
    if (lower === 'content-length' || head.connectionTokens?.includes(lower) === true) continue;
    text += `${head.headers[i] as string}: ${head.headers[i + 1] as string}\r\n`;
  }
  return text;
}

function connectTo(upstream: Upstream): Socket {
  return upstream.secure
    ? tlsConnect({ host: upstream.hostname, port: upstream.port, servername: /^[0-9.]+$|:/.test(upstream.hostname) ? undefined : upstream.hostname })
    : netConnect({ host: upstream.hostname, port: upstream.port });
}

/**
 * Tunnels an HTTP/1.1 Upgrade (WebSocket) on a connection of its own, never pooled: the request
 * head with Connection/Upgrade named again for the next hop, the upstream's answer read by the
 * same strict parser, then, on 101, bytes copied both ways until either side closes. A declined
 * upgrade is passed on and the connection closed. One timer per upgrade until it is answered:
 * upgrades are rare and long-lived, unlike requests.
 */
export function tunnelUpgrade(settings: ForwarderSettings, req: IncomingMessage, client: Duplex, clientHead: Buffer, target: ForwardTarget): void {
  const started = performance.now();
  const upstream = target.balancer.pick();
  const headers = upstreamRequestHeaders(req, upstream, settings.hostMode, settings.trusted);
  // Upgrade and Connection are hop-by-hop, but an upgrade must name them to the next hop too.
  headers.connection = 'Upgrade';
  headers.upgrade = req.headers.upgrade;
  let finished = false;
  let answered = false;
  const done = (outcome: ForwardOutcome): void => {
    if (finished) return;
    finished = true;
    const elapsedMs = performance.now() - started;
    settings.stats.record(target.pool, outcome, elapsedMs);
    target.onDone(outcome, elapsedMs);
  };
  const socket = connectTo(upstream);
  socket.setNoDelay(true);
  socket.setTimeout(settings.connectTimeoutMs + settings.responseTimeoutMs);

  const failBeforeAnswer = (kind: 'connect' | 'timeout', message: string): void => {
    socket.destroy();
    if (finished) return;
    settings.recordOutcome(upstream.origin, true);
    settings.errorLog?.failed(req, kind === 'timeout' ? 504 : 502, { pool: target.pool, upstream: upstream.origin, upgrade: true, responseStarted: answered }, message);
    if (answered) client.destroy();
    else {
      const body = JSON.stringify(errorBody('GRAYLANE_UNAVAILABLE', message, { pool: target.pool, upstream: upstream.origin }));
      const status = kind === 'timeout' ? '504 Gateway Timeout' : '502 Bad Gateway';
      client.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    }
    done({ failure: kind });
  };

  const sink: ResponseSink = {
    onInformational: () => undefined,
    onUpgrade: (head, rest) => {
      socket.setTimeout(0);
      socket.off('data', onData);
      answered = true;
      // The 101 goes on as received (validated by the parser), Upgrade and Connection included.
      client.write(`${head.raw}\r\n\r\n`, 'latin1');
      if (rest.length > 0) client.write(rest);
      if (clientHead.length > 0) socket.write(clientHead);
      socket.pipe(client).pipe(socket);
      client.on('close', () => socket.destroy());
      socket.on('close', () => client.destroy());
      settings.recordOutcome(upstream.origin, false);
      done({ status: 101 });
    },
    onHead: (head) => {
      // The upstream declined the upgrade: pass its answer on, its body read until it ends, then close.
      answered = true;
      client.write(`${declinedHead(head)}connection: close\r\n\r\n`, 'latin1');
      settings.recordOutcome(upstream.origin, head.status >= 500);
      done({ status: head.status });
    },
    onBody: (chunk) => {
      if (!client.write(chunk)) {
        socket.pause();
        client.once('drain', () => socket.resume());
      }
    },
    onComplete: (_reusable, last) => {
      client.end(last);
      socket.destroy();
    },
    onError: (error) => failBeforeAnswer('connect', answered ? error.message : `upstream sent an invalid response: ${error.message}`),
  };
  const parser = new ResponseParser(sink);
  parser.start(false);
  const onData = (chunk: Buffer): void => parser.push(chunk);
  socket.on('data', onData);
  socket.on(upstream.secure ? 'secureConnect' : 'connect', () => socket.write(requestHead(req.method ?? 'GET', req.url ?? '/', headers, 'none', upstream.host), 'latin1'));
  socket.on('end', () => parser.end());
  socket.on('timeout', () => failBeforeAnswer('timeout', 'upstream did not answer the upgrade in time'));
  socket.on('error', (error: Error) => failBeforeAnswer('connect', `upstream unavailable: ${error.message}`));
  socket.on('close', () => {
    if (!finished) failBeforeAnswer('connect', 'upstream unavailable: it closed the connection');
    else if (!answered) client.destroy();
  });
  client.on('error', () => socket.destroy());
}
