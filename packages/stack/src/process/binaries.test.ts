import { afterEach, describe, expect, it } from 'vitest';
import { findBinary } from './binaries.js';

describe('findBinary', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('finds a binary on PATH as an absolute path', () => {
    expect(findBinary('redis-server')).toMatch(/^\/.*\/redis-server$/);
  });

  it('finds Debian binaries in /usr/sbin even when PATH lacks it', () => {
    process.env.PATH = '/nonexistent';
    expect(findBinary('nats-server')).toMatch(/^\/usr\/s?bin\/nats-server$/);
    expect(findBinary('clickhouse-server')).toMatch(/^\/usr\/s?bin\/clickhouse-server$/);
  });

  it('names the apt package to install when the binary is nowhere', () => {
    expect(() => findBinary('graylane-no-such-server')).toThrow(
      'graylane-no-such-server was not found on PATH or in /usr/sbin, /usr/bin; install it with: apt-get install -y graylane-no-such-server',
    );
  });
});
