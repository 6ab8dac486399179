import { request } from 'node:http';
import { createConnection, createServer, type Server } from 'node:net';
import { pollUntilReady } from './poll.js';

const HOST = '127.0.0.1';
const POLL_MS = 20;
const ATTEMPT_TIMEOUT_MS = 1_000;

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago (the kernel's pick for listen(0)). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('the kernel gave no free port');
  return port;
}

/**
 * `count` distinct free ports. All are held open together before any is released, so the kernel
 * cannot hand out the same one twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, HOST, () => resolve());
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('listen(0) gave no TCP port');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Whether something accepts a TCP connection on 127.0.0.1:port right now. */
export function tcpAnswers(port: number, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    const done = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether GET url answers 200 right now. */
export function httpAnswers(url: string, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    // agent: false so that no pooled keep-alive socket outlives the check and holds the server.
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** Waits until 127.0.0.1:port accepts a TCP connection; throws after `timeoutMs`. */
export async function waitForTcp(port: number, timeoutMs: number): Promise<void> {
  await pollUntil(() => tcpAnswers(port), timeoutMs, `nothing accepted a TCP connection on ${HOST}:${port}`);
}

/** Waits until GET url answers 200 (ClickHouse: GET /ping answers "Ok."); throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  await pollUntil(() => httpAnswers(url), timeoutMs, `GET ${url} did not answer 200`);
}

async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, failure: string): Promise<void> {
  const outcome = await pollUntilReady({ ready: check, timeoutMs, pollMs: POLL_MS });
  if (outcome !== 'ready') throw new Error(`${failure} within ${timeoutMs} ms`);
}
