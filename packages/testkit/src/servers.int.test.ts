import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startClickHouse, startNats, startRedis, type RunningServer } from './index.js';
import { tcpAnswers } from '@graylane/stack';

/** A raw TCP conversation: send text, wait for a pattern in what came back. */
class Wire {
  private received = '';
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.received += chunk;
    });
  }

  static open(port: number): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(new Wire(socket)));
      socket.once('error', reject);
    });
  }

  send(text: string): this {
    this.socket.write(text);
    return this;
  }

  /** Resolves with the first match of `pattern`, dropping everything received up to its end. */
  async expect(pattern: RegExp, timeoutMs = 3_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.received);
      if (match !== null) {
        this.received = this.received.slice(match.index + match[0].length);
        return match;
      }
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in ${JSON.stringify(this.received)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One HTTP request without keep-alive, so no idle socket delays the server's shutdown. */
function http(url: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

async function clickHouse(server: RunningServer, sql: string): Promise<string> {
  const { status, text } = await http(`${server.url}/`, sql);
  if (status !== 200) throw new Error(`${sql}: ${status} ${text}`);
  return text;
}

async function expectGone(server: RunningServer, ports = [server.port]): Promise<void> {
  for (const port of ports) expect(await tcpAnswers(port), `port ${port} still open`).toBe(false);
  expect(existsSync(server.dir), `${server.dir} still exists`).toBe(false);
}

const started: RunningServer[] = [];
async function track(server: Promise<RunningServer>): Promise<RunningServer> {
  started.push(await server);
  return started[started.length - 1] as RunningServer;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

describe('startNats', { timeout: 30_000 }, () => {
  it('serves NATS with JetStream on its port, and stop() closes the port and removes the dir', async () => {
    const server = await track(startNats());
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);

    const wire = await Wire.open(server.port);
    const [, info = ''] = await wire.expect(/^INFO (.*)\r\n/);
    expect(JSON.parse(info)).toMatchObject({ port: server.port, jetstream: true });

    wire.send('CONNECT {"verbose":false}\r\nSUB greet 1\r\nPUB greet 5\r\nhello\r\n');
    await wire.expect(/MSG greet 1 5\r\nhello\r\n/);
    wire.send('SUB _INBOX.info 2\r\nPUB $JS.API.INFO _INBOX.info 0\r\n\r\n');
    const [, reply = ''] = await wire.expect(/MSG _INBOX.info 2 \d+\r\n(.*)\r\n/);
    expect(JSON.parse(reply)).toMatchObject({ type: 'io.nats.jetstream.api.v1.account_info_response' });
    wire.close();

    await server.stop();
    await expectGone(server);
  });

  it('leaves JetStream off when asked', async () => {
    const server = await track(startNats({ jetstream: false }));
    const wire = await Wire.open(server.port);
    const [, info = ''] = await wire.expect(/^INFO (.*)\r\n/);
    expect(JSON.parse(info)).not.toHaveProperty('jetstream', true);
    wire.close();
  });

  it('keeps its JetStream streams across restart(), on the same port', async () => {
    const server = await track(startNats());
    const firstPid = server.pid;
    const config = JSON.stringify({ name: 'ORDERS', subjects: ['orders.>'], storage: 'file' });
    let wire = await Wire.open(server.port);
    wire.send(`CONNECT {"verbose":false}\r\nSUB _INBOX.a 1\r\nPUB $JS.API.STREAM.CREATE.ORDERS _INBOX.a ${config.length}\r\n${config}\r\n`);
    await wire.expect(/io\.nats\.jetstream\.api\.v1\.stream_create_response/);
    wire.close();

    await server.restart();

    expect(server.pid).not.toBe(firstPid);
    wire = await Wire.open(server.port);
    wire.send('CONNECT {"verbose":false}\r\nSUB _INBOX.b 1\r\nPUB $JS.API.STREAM.NAMES _INBOX.b 0\r\n\r\n');
    const [names = ''] = await wire.expect(/"streams":\[[^\]]*\]/);
    expect(names).toBe('"streams":["ORDERS"]');
    wire.close();
  });
});

describe('startRedis', { timeout: 30_000 }, () => {
  it('answers PING, and stop() closes the port and removes the dir', async () => {
    const server = await track(startRedis());
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const wire = await Wire.open(server.port);
    wire.send('PING\r\n');
    await wire.expect(/^\+PONG\r\n/);
    wire.close();

    await server.stop();
    await expectGone(server);
  });

  it('persists nothing: after a crash and start() the keys are gone and no dump was written', async () => {
    const server = await track(startRedis());
    let wire = await Wire.open(server.port);
    wire.send('SET rollout checkout\r\nGET rollout\r\n');
    await wire.expect(/^\+OK\r\n\$8\r\ncheckout\r\n/);
    wire.close();

    await server.kill();
    expect(await tcpAnswers(server.port)).toBe(false);
    expect(existsSync(server.dir)).toBe(true);
    await server.start();

    wire = await Wire.open(server.port);
    wire.send('GET rollout\r\n');
    await wire.expect(/^\$-1\r\n/);
    wire.close();
    expect(existsSync(join(server.dir, 'dump.rdb'))).toBe(false);
  });
});

describe('startClickHouse', { timeout: 30_000 }, () => {
  it('answers /ping and queries over HTTP, and stop() closes both ports and removes the dir', async () => {
    const server = await track(startClickHouse());
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const tcpPort = Number(/<tcp_port>(\d+)<\/tcp_port>/.exec(readFileSync(join(server.dir, 'config.xml'), 'utf8'))?.[1]);
    expect(tcpPort).not.toBe(server.port);
    expect(await tcpAnswers(tcpPort)).toBe(true);

    expect(await http(`${server.url}/ping`)).toEqual({ status: 200, text: 'Ok.\n' });
    expect(await clickHouse(server, 'SELECT sum(number) FROM numbers(10)')).toBe('45\n');
    expect(existsSync(join(server.dir, 'clickhouse-server.log'))).toBe(true);

    await server.stop();
    await expectGone(server, [server.port, tcpPort]);
  });

  it('keeps its tables across restart(), on the same port', async () => {
    const server = await track(startClickHouse());
    const firstPid = server.pid;
    await clickHouse(server, 'CREATE TABLE hits (at DateTime, arm String) ENGINE = MergeTree() PARTITION BY toYYYYMM(at) ORDER BY (arm, at)');
    await clickHouse(server, "INSERT INTO hits VALUES ('2024-05-01 10:00:00', 'canary'), ('2024-05-01 10:00:01', 'stable')");

    await server.restart();

    expect(server.pid).not.toBe(firstPid);
    expect(await clickHouse(server, 'SELECT arm FROM hits ORDER BY arm')).toBe('canary\nstable\n');
  });
});
