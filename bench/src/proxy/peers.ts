// One forwarding engine as its own process, so each peer gets a core to itself:
// `node dist/proxy/peers.js <http-proxy|undici|node-answers|minimal> <port> <backend-url>`.
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';
import { Pool } from 'undici';
import { FIXED_BODY } from './nginx.js';
import { startMinimalForwarder } from './minimal-forwarder.js';

const [engine, portText, backend] = process.argv.slice(2);
if (backend === undefined || portText === undefined) throw new Error('usage: peers.js <http-proxy|undici|node-answers|minimal> <port> <backend-url>');
const port = Number(portText);

if (engine === 'http-proxy') {
  // As the design names it: raw http-proxy with a keep-alive agent, nothing else.
  const proxy = httpProxy.createProxyServer({ target: backend, agent: new Agent({ keepAlive: true, maxSockets: 1024 }) });
  proxy.on('error', (_error, _req, res) => {
    if ('writeHead' in res && !res.headersSent) res.writeHead(502);
    res.end();
  });
  createServer((req, res) => proxy.web(req, res)).listen(port, '127.0.0.1');
} else if (engine === 'undici') {
  // A bare undici forwarder: no header rewriting beyond what undici requires, bodies streamed.
  const pool = new Pool(backend, { connections: 256, pipelining: 1 });
  const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection', 'trailer']);
  createServer((req, res) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name) && typeof value === 'string') headers[name] = value;
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool
      .request({ path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers, body: hasBody ? req : null })
      .then(({ statusCode, headers: upstreamHeaders, body }) => {
        for (const name of HOP) delete upstreamHeaders[name];
        res.writeHead(statusCode, upstreamHeaders as Record<string, string>);
        body.pipe(res);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
  }).listen(port, '127.0.0.1');
} else if (engine === 'node-answers') {
  // Not a proxy: node:http answering the backend's body itself. Every Node proxy does this much
  // work and more (it also is an HTTP client), so this is the ceiling of any proxy written on it.
  const headers = { 'content-type': 'text/plain', 'content-length': String(FIXED_BODY.length) };
  createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(FIXED_BODY);
  }).listen(port, '127.0.0.1');
} else if (engine === 'minimal') {
  startMinimalForwarder(port, new URL(backend));
} else {
  throw new Error(`unknown engine "${engine}"`);
}
