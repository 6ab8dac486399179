import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBinary } from '../process/binaries.js';
import { generateNatsCredentials, natsUrlWith, operatorPermissions, renderNatsAuthorization, shippedPermissionsFile } from './nats-auth.js';

/** `nats-server -t`: parses a config without starting; throws with the server's message. */
function checkConfig(file: string, env: Record<string, string> = {}): void {
  execFileSync(findBinary('nats-server'), ['-c', file, '-t'], { env: { ...process.env, ...env }, stdio: 'pipe' });
}

describe('closed NATS configs', () => {
  it('renders a config nats-server accepts, with every role and each operator', () => {
    const credentials = generateNatsCredentials(['alice', 'ci-bot']);
    const text = renderNatsAuthorization(credentials);
    for (const user of ['graylane-proxy', 'graylane-config', 'graylane-analytics', 'alice', 'ci-bot']) expect(text).toContain(`user: "${user}"`);
    expect(text).toContain('"graylane.cmd.v2.ci-bot.>"');
    const file = join(mkdtempSync(join(tmpdir(), 'nats-auth-')), 'nats.conf');
    writeFileSync(file, text);
    expect(() => checkConfig(file)).not.toThrow();
  });

  it('refuses operator names that are not subject tokens or that take a service identity', () => {
    expect(() => generateNatsCredentials(['al.ice'])).toThrow(/operator name/);
    expect(() => generateNatsCredentials(['graylane-config'])).toThrow(/operator name/);
  });

  it('ships an example server config that is valid and grants its operator what graylane up grants', () => {
    const shipped = join(dirname(shippedPermissionsFile()), 'nats-server.conf');
    const passwords = { GRAYLANE_NATS_PROXY_PASSWORD: 'a', GRAYLANE_NATS_CONFIG_PASSWORD: 'b', GRAYLANE_NATS_ANALYTICS_PASSWORD: 'c', GRAYLANE_NATS_OPERATOR_PASSWORD: 'd' };
    expect(() => checkConfig(shipped, passwords)).not.toThrow();
    // Without the passwords in its environment the server refuses to start: no default password.
    expect(() => checkConfig(shipped)).toThrow(/GRAYLANE_NATS_PROXY_PASSWORD/);
    const text = readFileSync(shipped, 'utf8');
    for (const line of operatorPermissions('operator').split('\n').slice(1, 3)) expect(text).toContain(line.trim());
  });

  it('puts URL-encoded credentials into a URL', () => {
    expect(natsUrlWith('nats://127.0.0.1:4222', { user: 'a', password: 'p@ss/w' })).toBe('nats://a:p%40ss%2Fw@127.0.0.1:4222');
  });
});
