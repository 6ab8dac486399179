// The other kinds of NATS credentials a process reads from GRAYLANE_NATS_* (user/password is in
// closed-bus.test.ts), each against a real nats-server that demands it.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
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

/** CRC-16/XMODEM, the checksum NKeys end with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet[(value << (5 - bits)) & 31] : out;
}

function withCrc(bytes: number[]): string {
  const crc = crc16(Uint8Array.from(bytes));
  return base32(Uint8Array.from([...bytes, crc & 0xff, crc >> 8]));
}

/** A user NKey (seed `SU…`, public key `U…`) from a fresh Ed25519 key, encoded as nkeys does. */
function userNkey(): { seed: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = (key: string | undefined): number[] => [...Buffer.from(key ?? '', 'base64url')];
  const seed = raw(privateKey.export({ format: 'jwk' }).d);
  const pub = raw(publicKey.export({ format: 'jwk' }).x);
  const SEED = 18 << 3;
  const USER = 20 << 3;
  return { seed: withCrc([SEED | (USER >> 5), (USER & 31) << 3, ...seed]), publicKey: withCrc([USER, ...pub]) };
}

const nkey = userNkey();
let nkeyServer: RunningServer;
let tokenServer: RunningServer;
let tlsServer: RunningServer;

beforeAll(async () => {
  makeCertificates();
  tokenServer = await startNats({ jetstream: false, authorization: 'authorization { token: "tok-0123456789abcdef" }\n' });
  servers.push(tokenServer);
  nkeyServer = await startNats({ jetstream: false, authorization: `authorization { users: [ { nkey: "${nkey.publicKey}" } ] }\n` });
  servers.push(nkeyServer);
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

  it('an NKey seed from GRAYLANE_NATS_NKEY_SEED_FILE, signing the server nonce', async () => {
    const nc = await connectWith(nkeyServer.url, { GRAYLANE_NATS_NKEY_SEED_FILE: file('user.nk', `${nkey.seed}\n`), GRAYLANE_NATS_IDENTITY: 'ci' });
    expect(await nc.rtt()).toBeGreaterThanOrEqual(0);
    const other = userNkey();
    await expect(connectWith(nkeyServer.url, { GRAYLANE_NATS_NKEY_SEED_FILE: file('other.nk', other.seed) })).rejects.toThrow(/Authorization Violation/i);
  });

  it('TLS with a private CA and a client certificate the server verifies', async () => {
    const env = { GRAYLANE_NATS_TLS_CA: join(dir, 'ca.pem'), GRAYLANE_NATS_TLS_CERT: join(dir, 'client.pem'), GRAYLANE_NATS_TLS_KEY: join(dir, 'client.key') };
    const nc = await connectWith(tlsServer.url, env);
    expect(await nc.rtt()).toBeGreaterThanOrEqual(0);
    // Without the client certificate the server refuses the handshake.
    await expect(connectWith(tlsServer.url, { GRAYLANE_NATS_TLS_CA: join(dir, 'ca.pem') })).rejects.toThrow();
  });
});
