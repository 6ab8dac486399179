import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeNatsAuth, natsAuthFrom } from './nats-auth.js';
import { natsUrlFrom } from './env.js';

const dir = mkdtempSync(join(tmpdir(), 'nats-auth-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('natsAuthFrom', () => {
  it('is undefined when nothing is set', () => {
    expect(natsAuthFrom({})).toBeUndefined();
  });

  it('reads a user and a password file, and acts as the user', () => {
    const auth = natsAuthFrom({ GRAYLANE_NATS_USER: 'alice', GRAYLANE_NATS_PASSWORD_FILE: file('pw', 'hunter2\n') });
    expect(auth).toMatchObject({ user: 'alice', password: 'hunter2', identity: 'alice' });
    expect(describeNatsAuth(auth)).toBe('user alice');
  });

  it('never shows a secret when logged or inspected', () => {
    const auth = natsAuthFrom({ GRAYLANE_NATS_USER: 'alice', GRAYLANE_NATS_PASSWORD: 'hunter2' });
    expect(JSON.stringify({ auth })).not.toContain('hunter2');
    expect(inspect(auth)).not.toContain('hunter2');
    expect(auth?.password).toBe('hunter2');
  });

  it('reads token, NKey seed and TLS files, naming the variable on a bad one', () => {
    expect(natsAuthFrom({ GRAYLANE_NATS_TOKEN_FILE: file('tok', 's3cret') })?.token).toBe('s3cret');
    const seed = `SUA${'A'.repeat(55)}`;
    const auth = natsAuthFrom({ GRAYLANE_NATS_NKEY_SEED_FILE: file('seed', seed), GRAYLANE_NATS_IDENTITY: 'ci', GRAYLANE_NATS_TLS_CA: file('ca', 'x') });
    expect(auth).toMatchObject({ nkeySeed: seed, identity: 'ci', tls: { caFile: join(dir, 'ca') } });
    expect(() => natsAuthFrom({ GRAYLANE_NATS_TOKEN_FILE: join(dir, 'missing') })).toThrow(/GRAYLANE_NATS_TOKEN_FILE: cannot read the file/);
    expect(() => natsAuthFrom({ GRAYLANE_NATS_NKEY_SEED_FILE: file('bad', 'nope') })).toThrow(/GRAYLANE_NATS_NKEY_SEED_FILE/);
    expect(() => natsAuthFrom({ GRAYLANE_NATS_CREDS_FILE: file('bad2', 'nope') })).toThrow(/GRAYLANE_NATS_CREDS_FILE/);
    expect(() => natsAuthFrom({ GRAYLANE_NATS_TLS_CERT: file('c', 'x') })).toThrow(/GRAYLANE_NATS_TLS_KEY/);
  });

  it('refuses half or conflicting settings, and identities that are not subject tokens', () => {
    expect(() => natsAuthFrom({ GRAYLANE_NATS_USER: 'alice' })).toThrow(/GRAYLANE_NATS_USER: needs GRAYLANE_NATS_PASSWORD/);
    expect(() => natsAuthFrom({ GRAYLANE_NATS_PASSWORD: 'x' })).toThrow(/GRAYLANE_NATS_PASSWORD: needs GRAYLANE_NATS_USER/);
    expect(() => natsAuthFrom({ GRAYLANE_NATS_USER: 'a', GRAYLANE_NATS_PASSWORD: 'x', GRAYLANE_NATS_TOKEN: 't' })).toThrow(/only one of/);
    expect(() => natsAuthFrom({ GRAYLANE_NATS_TOKEN: 'a', GRAYLANE_NATS_TOKEN_FILE: 'b' })).toThrow(/not both/);
    expect(() => natsAuthFrom({ GRAYLANE_NATS_USER: 'a.b', GRAYLANE_NATS_PASSWORD: 'x' })).toThrow(/GRAYLANE_NATS_USER: expected a name/);
  });
});

describe('natsUrlFrom', () => {
  it('keeps credentials in the URL, and hides them in its errors', () => {
    expect(natsUrlFrom({ GRAYLANE_NATS_URL: 'nats://alice:pw@nats:4222' })).toBe('nats://alice:pw@nats:4222');
    expect(() => natsUrlFrom({ GRAYLANE_NATS_URL: 'http://alice:hunter2@x:1' })).toThrow('GRAYLANE_NATS_URL: expected a nats or tls or ws or wss URL, got "http://***@x:1"');
  });
});
