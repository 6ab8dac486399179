// The other kinds of NATS credentials a process reads from GRAYLANE_NATS_* (user/password is in
// closed-bus.test.ts), each against a real nats-server that demands it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, createLogger, natsAuthFrom, type NatsConnection } from '@graylane/runtime';
import { startNats, type RunningServer } from '@graylane/testkit';

const logger = createLogger('nats-credentials-test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'graylane-nats-credentials-'));
const servers: RunningServer[] = [];
const connections: NatsConnection[] = [];

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

async function connectWith(url: string, env: Record<string, string>): Promise<NatsConnection> {
  const nc = await connectNats(url, logger, { name: 'credentials-test', waitForServer: false, reconnect: false, auth: natsAuthFrom(env) });
  connections.push(nc);
  return nc;
}

/** A CA, and a server and a client certificate it signed, made with openssl. */
function makeCertificates(): void {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=graylane-test-ca');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    file(`${name}.ext`, name === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : 'extendedKeyUsage=clientAuth\n');
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
}

let tokenServer: RunningServer;
let tlsServer: RunningServer;

beforeAll(async () => {
  makeCertificates();
  tokenServer = await startNats({ jetstream: false, authorization: 'authorization { token: "tok-0123456789abcdef" }\n' });
  servers.push(tokenServer);
  const tls = `tls {\n  cert_file: "${join(dir, 'server.pem')}"\n  key_file: "${join(dir, 'server.key')}"\n  ca_file: "${join(dir, 'ca.pem')}"\n  verify: true\n}\n`;
  tlsServer = await startNats({ jetstream: false, authorization: tls });
  servers.push(tlsServer);
}, 60_000);

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()));
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('NATS credentials from the environment', () => {
  it('a token from GRAYLANE_NATS_TOKEN_FILE, or in the URL', async () => {
    const nc = await connectWith(tokenServer.url, { GRAYLANE_NATS_TOKEN_FILE: file('token', 'tok-0123456789abcdef\n') });
    expect(await nc.rtt()).toBeGreaterThanOrEqual(0);
    const viaUrl = await connectWith(tokenServer.url.replace('nats://', 'nats://tok-0123456789abcdef@'), {});
    expect(await viaUrl.rtt()).toBeGreaterThanOrEqual(0);
    await expect(connectWith(tokenServer.url, { GRAYLANE_NATS_TOKEN: 'wrong-token' })).rejects.toThrow(/Authorization Violation/i);
  });

  it('TLS with a private CA and a client certificate the server verifies', async () => {
    const env = { GRAYLANE_NATS_TLS_CA: join(dir, 'ca.pem'), GRAYLANE_NATS_TLS_CERT: join(dir, 'client.pem'), GRAYLANE_NATS_TLS_KEY: join(dir, 'client.key') };
    const nc = await connectWith(tlsServer.url, env);
    expect(await nc.rtt()).toBeGreaterThanOrEqual(0);
    // Without the client certificate the server refuses the handshake.
    await expect(connectWith(tlsServer.url, { GRAYLANE_NATS_TLS_CA: join(dir, 'ca.pem') })).rejects.toThrow();
  });
});
